"""README's "Add webhooks to your Django project", followed from its own text by a new user's hands.

The snippets marked ``<!-- readme-test: NAME -->`` in README.md are the ones used here, so the README
and this test cannot drift: a new ``django-admin startproject mysite`` in a temporary folder, the
package installed from a wheel built from this checkout into a virtualenv of its own (kept in the var
directory between runs, its wheel reinstalled each time), the README's settings, URLs, Celery app and
commands; then what a user checks: ``manage.py check`` clean, ``/api/schema/`` and ``/api/docs/`` 200,
events published in ``manage.py shell`` delivered to a receiver on 127.0.0.1 and verified with
``standardwebhooks``, ``/ops/metrics`` counting them, the REST API's curl examples, and step 9's test
run with pytest.  Once on SQLite with the README's options, once on PostgreSQL (when the suite runs on
it: CI's PostgreSQL pass).  The only substitutions are what a user would type differently on this
machine: the checkout's path (the wheel), the broker's and database's addresses, the receiver's port.
"""

import hashlib
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection
from standardwebhooks import Webhook

from tests.ecosystem.test_dev_commands import SUITE_ONLY
from tests.worker import ROOT, free_port, wait_until

pytestmark = pytest.mark.e2e

README = (ROOT / "README.md").read_text()
MARKED = re.compile(r"<!-- readme-test: (?P<name>[\w-]+) -->\n(?P<indent> *)```\w*\n(?P<body>.*?)\n(?P=indent)```",
                    re.S)
EVENTS = 20  # as many as made startproject's SQLite fail with "database is locked" (issue 18)


def snippets():
    found = {}
    for match in MARKED.finditer(README):
        indent = len(match["indent"])
        found[match["name"]] = "\n".join(line[indent:] for line in match["body"].split("\n")) + "\n"
    return found


SNIPPETS = snippets()


def snippet(name, *replacements):
    text = SNIPPETS[name]
    for old, new in replacements:
        assert old in text, f"README's {name!r} snippet no longer says {old!r}"
        text = text.replace(old, new)
    return text


def host_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(SUITE_ONLY) and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "PYTHONUNBUFFERED": "1"}


def pip_lines(name):
    return [line.split("#")[0].split()[2:] for line in SNIPPETS[name].splitlines() if line.startswith("pip install")]


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A virtualenv of the host's own, with hookplatform installed from a wheel as README step 1 says."""
    path = Path(settings.VAR_DIR) / "readme_venv"
    python = path / "bin" / "python"
    pins = ROOT / "requirements.txt"
    stamp = path / ".stamp"
    digest = hashlib.sha256(pins.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    wheels = tmp_path_factory.mktemp("wheel")
    subprocess.run([str(python), "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True)
    [wheel] = wheels.glob("hookplatform-*.whl")
    constraints = wheels / "constraints.txt"  # the suite's pins (constraints take no extras), so pip's cache serves
    constraints.write_text(re.sub(r"\[[^\]]*\]", "", pins.read_text()))
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(constraints)]
    [[install]] = pip_lines("install")
    requirement = install.strip('"').replace("/path/to/hookplatform", str(wheel))
    if stamp.exists() and stamp.read_text() == digest:
        subprocess.run(pip[:-2] + ["--force-reinstall", "--no-deps", str(wheel)], check=True)
    else:
        subprocess.run(pip + [requirement, *[p for line in pip_lines("test-install") for p in line]], check=True)
        stamp.write_text(digest)
    return path


class Receiver:
    """The host's customer: records each POST with its headers and answers 204."""

    def __init__(self):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                received.append((self.rfile.read(int(self.headers["content-length"])), dict(self.headers)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count, timeout=60):
        wait_until(lambda: len(self.received) >= count, timeout=timeout, what=f"{count} webhooks received")
        return self.received


class Host:
    """The new project: its folder, its virtualenv, its processes."""

    def __init__(self, folder, venv):
        self.folder, self.venv, self.processes, self.env = folder, venv, [], host_env()

    def run(self, *args, **kwargs):
        result = subprocess.run([str(self.venv / "bin" / args[0]), *args[1:]], cwd=self.folder, env=self.env,
                                capture_output=True, text=True, timeout=180, **kwargs)
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result

    def start(self, *args):
        name = next(arg for arg in args if arg in ("worker", "beat", "runserver"))
        log = self.folder / f"{name}.log"
        with open(log, "w") as output:
            process = subprocess.Popen([str(self.venv / "bin" / args[0]), *args[1:]], cwd=self.folder, env=self.env,
                                       stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((process, log))
        return log

    def stop(self):
        for process, _ in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _ in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self):
        return "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for _, log in self.processes)


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def postgresql_settings(name):
    """README's PostgreSQL block with this machine's server (the suite's) and a database of this test's."""
    suite = connection.settings_dict
    return snippet("postgresql", ('"NAME": "mysite"', f'"NAME": "{name}"'),
                   ('"USER": "postgres"', f'"USER": "{suite["USER"]}", "PASSWORD": "{suite.get("PASSWORD") or ""}"'),
                   ('"HOST": "127.0.0.1"', f'"HOST": "{suite.get("HOST") or "127.0.0.1"}"'),
                   ('"PORT": 5432', f'"PORT": {suite.get("PORT") or 5432}'))


@pytest.fixture
def postgresql_database():
    """A database of its own (not the suite's test database), dropped after the test."""
    name = f"{settings.DATABASES['default']['NAME'].removeprefix('test_')}_readme"
    import psycopg

    suite = connection.settings_dict
    admin = psycopg.connect(dbname="postgres", user=suite["USER"], password=suite.get("PASSWORD") or None,
                            host=suite.get("HOST") or "127.0.0.1", port=suite.get("PORT") or 5432, autocommit=True)
    for database in (name, f"test_{name}"):
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    for database in (name, f"test_{name}"):
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin.close()


def database_settings(kind, request):
    if kind == "sqlite":
        return snippet("sqlite")
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: runs when the suite does (CI's PostgreSQL pass)")
    return postgresql_settings(request.getfixturevalue("postgresql_database"))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_new_project_follows_the_readme_and_webhooks_work(database, venv, tmp_path, request):
    db_settings = database_settings(database, request)
    folder = tmp_path / "mysite"
    folder.mkdir()
    host = Host(folder, venv)
    receiver = Receiver()
    try:
        follow_the_readme(host, db_settings, receiver)
    except BaseException:
        print(host.logs())
        raise
    finally:
        host.stop()
        receiver.server.shutdown()


def follow_the_readme(host, db_settings, receiver):
    host.run("django-admin", "startproject", "mysite", ".")
    project = host.folder / "mysite"
    settings_py = project / "settings.py"
    broker = ('"redis://127.0.0.1:6379/0"', repr(settings.CELERY_BROKER_URL))
    key = ("<the key you generated>", Fernet.generate_key().decode())
    settings_py.write_text(settings_py.read_text() + "\n" + snippet("settings", broker, key) + "\n" + db_settings
                           + "\n" + snippet("local"))
    (project / "urls.py").write_text(snippet("urls"))
    (project / "celery.py").write_text(snippet("celery"))
    (project / "__init__.py").write_text(snippet("init"))

    port = free_port()
    worker_log = None
    for line in snippet("commands").splitlines():
        args = line.split()
        if "runserver" in args:
            host.start(*args, f"127.0.0.1:{port}", "--noreload")
        elif args[0] == "celery":
            log = host.start(*args)
            worker_log = log if "worker" in args else worker_log
        else:
            result = host.run(*args)
            if "check" in args:
                assert result.stdout.strip() == "System check identified no issues (0 silenced).", result.stdout
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: " ready." in worker_log.read_text(), timeout=60, what="the worker ready")
    wait_until(lambda: _answers(f"{base}/ops/healthz"), timeout=60, what="runserver answering")

    assert get(f"{base}/api/schema/")[0] == 200
    status, docs = get(f"{base}/api/docs/")
    assert status == 200 and "swagger" in docs.lower()
    assert '"routes"' in get(f"{base}/api/v1/")[1]

    published = host.run("python", "manage.py", "shell", "-c",  # the README's, then more of the same
                         snippet("publish", ("127.0.0.1:8765", f"127.0.0.1:{receiver.port}")) + MORE_EVENTS)
    [secret] = [line for line in published.stdout.splitlines() if line.startswith("whsec_")]
    for body, headers in receiver.wait_for(EVENTS):
        Webhook(secret).verify(body, headers)
    assert "database is locked" not in worker_log.read_text()

    metrics = wait_until(lambda: _succeeded(get(f"{base}/ops/metrics")[1]) >= EVENTS, timeout=10,
                         what="/ops/metrics counting the attempts")
    assert metrics

    key = host.run("python", "manage.py", "create_api_key", "--name", "readme").stdout.strip().splitlines()[-1]
    curl = snippet("curl", ("https://example.com/hooks", f"http://127.0.0.1:{receiver.port}/curl"))
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", curl], capture_output=True, text=True, timeout=60,
                            env={**host.env, "API": f"{base}/api/v1", "KEY": key})
    assert result.returncode == 0, result.stdout + result.stderr
    assert receiver.wait_for(EVENTS + 1)[-1][1]["webhook-id"]

    (host.folder / "pytest.ini").write_text(snippet("pytest-ini"))
    (host.folder / "conftest.py").write_text(snippet("conftest"))
    (host.folder / "test_webhooks.py").write_text(snippet("test"))
    tested = host.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_webhooks.py")
    assert "1 passed" in tested.stdout


MORE_EVENTS = f"""
from django.db import transaction
from delivery import publish
for number in range(2, {EVENTS + 1}):
    with transaction.atomic():
        publish("order.paid", {{"order": f"A-{{number}}", "total_cents": number}}, tenant="acme",
                idempotency_key=f"A-{{number}}-paid")
"""


def _answers(url):
    try:
        return get(url)[0] == 200
    except OSError:
        return False


def _succeeded(metrics):
    found = re.search(r'^hookplatform_attempts_total\{outcome="succeeded"\} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0
