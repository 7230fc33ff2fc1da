#!/usr/bin/env python3
"""Set-up and local runs with nothing but Python 3.11+ on the machine.

    python3 dev.py run     # venv, install, migrate, then web + worker + beat; prints URLs, a login and an API key
    python3 dev.py test    # venv, install, then the test suite (extra arguments go to pytest)

Both are idempotent: the virtualenv is reused and only reinstalled when
requirements.txt changes.  Only the standard library is used here.
"""

import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("HOOKPLATFORM_VENV", ROOT / ".venv"))
PYTHON = VENV / "bin" / "python"
VAR = Path(os.environ.get("HOOKPLATFORM_VAR_DIR", ROOT / "var"))
HOST = os.environ.get("HOOKPLATFORM_HOST", "127.0.0.1")
PORT = os.environ.get("HOOKPLATFORM_PORT", "8000")


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
    manage("shell", "-c", script, env=env)
    return password


def ensure_api_key(env):
    def make():
        return manage("create_api_key", "--name", "local try-out", env=env, capture=True).strip().splitlines()[-1]

    return remembered("api-key", make)


def run():
    ensure_venv()
    env = local_env()
    say("migrating the database")
    manage("migrate", "--noinput", "-v", "0", env=env)
    password = ensure_login(env)
    key = ensure_api_key(env)
    celery = [str(PYTHON), "-m", "celery", "-A", "hookplatform"]
    commands = {
        "web": [str(PYTHON), "manage.py", "runserver", "--noreload", f"{HOST}:{PORT}"],
        "worker": celery + ["worker", "-l", "info", "-c", "2"],
        "beat": celery + ["beat", "-l", "info", "-s", str(VAR / "celerybeat-schedule")],
    }
    processes = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}
    time.sleep(2)
    base = f"http://{HOST}:{PORT}"
    print(
        f"\n  hookplatform is running (web, worker, beat).\n"
        f"  Admin:     {base}/admin/   login: admin / {password}\n"
        f"  API:       {base}/api/v1/  docs: {base}/api/docs/\n"
        f"  API key:   {key}\n"
        f"  Try:       curl -H 'Authorization: Bearer {key}' {base}/api/v1/event-types/\n"
        f"  Stop with Ctrl-C.\n",
        flush=True,
    )
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    try:
        while not stop and all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
    failed = [name for name, p in processes.items() if p.returncode not in (0, -15, None) and not stop]
    return 1 if failed else 0


def test(args):
    ensure_venv()
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest.ini names the test settings
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def main(argv):
    if len(argv) < 1 or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    return run() if argv[0] == "run" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
