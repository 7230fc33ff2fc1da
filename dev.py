#!/usr/bin/env python3
"""Set-up and local runs with nothing but Python 3.11+ on the machine.

    python3 dev.py run [--verbose]  # venv, install, migrate, then web + worker + beat; prints URLs,
                                    # a login and an API key (worker and beat log to var/log/, or here
                                    # with --verbose); Ctrl-C stops them all
    python3 dev.py test             # venv, install, then the test suite (extra arguments go to pytest)

Both are idempotent: the virtualenv is reused and only reinstalled when
requirements.txt changes.  Only the standard library is used here (and
hookplatform/embedded_broker.py, which uses nothing else).
"""

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("HOOKPLATFORM_VENV", ROOT / ".venv"))
PYTHON = VENV / "bin" / "python"
VAR = Path(os.environ.get("HOOKPLATFORM_VAR_DIR", ROOT / "var"))
HOST = os.environ.get("HOOKPLATFORM_HOST", "127.0.0.1")
PORT = os.environ.get("HOOKPLATFORM_PORT", "8000")
LOG = VAR / "log"


def say(message):
    print(f"==> {message}", flush=True)


def ensure_venv():
    """Create the virtualenv and install requirements.txt, unless that was done for this very file."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit("hookplatform needs Python 3.11 or newer.")
    requirements = ROOT / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = VENV / ".requirements.sha256"
    if PYTHON.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    if not PYTHON.exists():
        say(f"creating the virtualenv in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say("installing requirements.txt")
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True)
    subprocess.run(pip + ["-r", str(requirements)], check=True)
    stamp.write_text(digest)


def manage(*args, env=None, capture=False):
    result = subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True,
                            text=True, capture_output=capture)
    return result.stdout if capture else None


def local_env():
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")  # runserver serves the admin's static files
    env.setdefault("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "1")  # local demos send to localhost
    env.setdefault("DJANGO_SETTINGS_MODULE", "hookplatform.settings")
    env["HOOKPLATFORM_VAR_DIR"] = str(VAR)
    env["PYTHONUNBUFFERED"] = "1"  # lines in the order they happen, in the terminal and in var/log/
    return env


def remembered(name, make):
    """A value kept in var/ so that every run prints the same login and key."""
    path = VAR / name
    if not path.exists():
        VAR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_login(env):
    password = remembered("admin-password", lambda: secrets.token_urlsafe(12))
    script = (
        "from django.contrib.auth import get_user_model\n"
        "User = get_user_model()\n"
        "user = User.objects.filter(username='admin').first() or User(username='admin', email='admin@localhost')\n"
        "user.is_staff = user.is_superuser = True\n"
        f"user.set_password({password!r})\n"
        "user.save()\n"
    )
    manage("shell", "-v", "0", "-c", script, env=env)
    return password


def ensure_api_key(env):
    def make():
        return manage("create_api_key", "--name", "local try-out", env=env, capture=True).strip().splitlines()[-1]

    return remembered("api-key", make)


def portal_link(env):
    """A one-time link into the portal of tenant "demo" (it works once, for 10 minutes)."""
    return manage("webhooks_portal_link", "demo", "--base-url", f"http://{HOST}:{PORT}", env=env,
                  capture=True).strip().splitlines()[-1]


def start(command, env, output=None):
    """A child in a process group of its own: a terminal's Ctrl-C reaches dev.py, which stops it in order."""
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if output else None,
                            process_group=0)


def start_processes(env, verbose):
    """Web, worker and beat; the worker's and beat's lines go to var/log/ unless ``verbose``."""
    LOG.mkdir(parents=True, exist_ok=True)
    celery = [str(PYTHON), "-m", "celery", "-A", "hookplatform"]
    processes = {"web": start([str(PYTHON), "manage.py", "runserver", "--noreload", f"{HOST}:{PORT}"], env)}
    for name, args in (("worker", ["worker", "-l", "info", "-c", "2"]),
                       ("beat", ["beat", "-l", "info", "-s", str(VAR / "celerybeat-schedule")])):
        if verbose:
            processes[name] = start(celery + args, env)
            continue
        with open(LOG / f"{name}.log", "w") as output:  # the child keeps its own copy
            processes[name] = start(celery + args, env, output)
    return processes


def port_answers():
    try:
        socket.create_connection((HOST, int(PORT)), timeout=0.5).close()
        return True
    except OSError:
        return False


def web_answers():
    """Our web server answers: ``/api/v1/`` lists the API's routes (not just anything on the port)."""
    host = "127.0.0.1" if HOST in ("0.0.0.0", "") else HOST
    try:
        with urllib.request.urlopen(f"http://{host}:{PORT}/api/v1/", timeout=2) as response:
            return response.status == 200 and b'"routes"' in response.read()
    except (OSError, ValueError):
        return False


def wait_for_web(processes, timeout=60):
    """Until the web server answers; else what failed, in words, so that no banner promises a dead server."""
    deadline = time.monotonic() + timeout
    while not web_answers():
        stopped = exited(processes)
        if "web" in stopped:
            return (f"the web server stopped (exit {processes['web'].returncode}) before answering on "
                    f"{HOST}:{PORT}: if it said the port is in use, pick another with HOOKPLATFORM_PORT=8001 "
                    f"(and the address with HOOKPLATFORM_HOST)")
        if stopped:
            return f"{', '.join(stopped)} stopped before the web server answered (see {shown(LOG)})"
        if time.monotonic() > deadline:
            return f"the web server did not answer http://{HOST}:{PORT}/api/v1/ within {timeout} s"
        time.sleep(0.2)
    return None


def exited(processes):
    return [name for name, process in processes.items() if process.poll() is not None]


def hold_signals():
    """From here on Ctrl-C and SIGTERM only ask to hurry: the shutdown itself must not be cut off."""
    hurry = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *a: hurry.append(1))
    return hurry


def stop_processes(processes, hurry, grace=15):
    """SIGTERM each, wait up to ``grace`` seconds (or until a second Ctrl-C), then SIGKILL each group."""
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    while len(exited(processes)) < len(processes) and time.monotonic() < deadline and not hurry:
        time.sleep(0.1)
    for process in processes.values():
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of it: a stuck process, pool children
        except ProcessLookupError:
            pass
        process.wait()


def shown(path):
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def banner(password, key, verbose, portal=""):
    base = f"http://{HOST}:{PORT}"
    logs = "worker and beat print here (--verbose)" if verbose else \
        f"{shown(LOG / 'worker.log')} and {shown(LOG / 'beat.log')} (or run with --verbose)"
    return (
        f"\n  hookplatform is running (web, worker, beat).\n"
        f"  Admin:     {base}/admin/   login: admin / {password}\n"
        f"  API:       {base}/api/v1/  docs: {base}/api/docs/\n"
        f"  API key:   {key}\n"
        f"  Portal:    {portal}   (tenant demo; once, 10 min; another: manage.py webhooks_portal_link demo)\n"
        f"  Try:       curl -H 'Authorization: Bearer {key}' {base}/api/v1/event-types/\n"
        f"  Logs:      {logs}\n"
        f"  Below, the web server's requests.  Stop with Ctrl-C.\n"
    )


def run(verbose=False):
    ensure_venv()
    if port_answers():
        sys.exit(f"{HOST}:{PORT} is taken (another dev.py run?); set HOOKPLATFORM_PORT to use another port.")
    from hookplatform.embedded_broker import OwnedBroker  # standard library only

    for signum in (signal.SIGINT, signal.SIGTERM):  # SIGTERM stops everything as Ctrl-C does (even when
        signal.signal(signum, signal.default_int_handler)  # started with Ctrl-C ignored, as in a script's `&`)
    env = local_env()
    broker = processes = None
    try:
        if not env.get("CELERY_BROKER_URL"):  # the embedded one, first: every manage.py command looks for it
            broker = OwnedBroker(VAR / "broker", python=PYTHON)
        say("migrating the database")
        manage("migrate", "--noinput", "-v", "0", env=env)
        password = ensure_login(env)
        key = ensure_api_key(env)
        processes = start_processes(env, verbose)
        failed = wait_for_web(processes)
        if failed:
            say(failed)
            return 1
        print(banner(password, key, verbose, portal_link(env)), flush=True)
        while not exited(processes):
            time.sleep(0.5)
        say(f"{', '.join(exited(processes))} stopped; stopping the rest" +
            ("" if verbose else f" (logs in {shown(LOG)})"))
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        hurry = hold_signals()
        if processes:
            stop_processes(processes, hurry)
        if broker:
            broker.stop()


def test(args):
    ensure_venv()
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest.ini names the test settings
    pytest = subprocess.Popen([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env)
    # A terminal's Ctrl-C reaches pytest too, which then tears down what it started (workers, the
    # embedded broker): wait for it, and pass SIGTERM on as that Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *a: pytest.send_signal(signal.SIGINT))
    return pytest.wait()


def main(argv):
    if len(argv) < 1 or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    if argv[0] == "test":
        return test(argv[1:])
    if set(argv[1:]) - {"--verbose", "-v"}:
        print(__doc__)
        return 2
    return run(verbose=bool(argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
