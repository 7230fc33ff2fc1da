"""The README's two commands as a newcomer runs them: a quiet ``dev.py run``, and no process left after either.

Each runs as on a fresh machine (SQLite and the embedded broker in a private var directory, none of the
suite's environment) in a session of its own, and is stopped as a terminal stops it: SIGINT to the whole
foreground process group (or SIGTERM, or SIGKILL for the test session).  "No process left" means none in
that session and none naming the private directory (a daemonized redis-server leaves the session).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.worker import ROOT, free_port, wait_until

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")]

BANNER_END = "Stop with Ctrl-C."
# The dispatcher ticks every second: were the worker's or beat's lines in the terminal, this many seconds
# would print about as many lines (the 30 s, shortened).
IDLE_S = 10
SUITE_ONLY = ("DJANGO_", "WEBHOOKS_", "HOOKPLATFORM_", "CELERY_", "DATABASE_URL", "REDIS_URL", "RABBITMQ_URL",
              "PROMETHEUS_MULTIPROC_DIR", "LOG_", "PYTEST_")


def fresh_machine_env(var_dir, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(SUITE_ONLY)}
    if "HOOKPLATFORM_VENV" in os.environ:
        env["HOOKPLATFORM_VENV"] = os.environ["HOOKPLATFORM_VENV"]
    return {**env, "HOOKPLATFORM_VAR_DIR": str(var_dir), **extra}


def processes():
    """pid -> (session id, command line) of every live process (zombies excluded)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if fields[0] not in ("Z", "X"):
            found[int(entry.name)] = (int(fields[3]), command)
    return found


def of_the_command(session, var_dir):
    return {pid: command for pid, (sid, command) in processes().items()
            if sid == session or str(var_dir) in command}


def assert_none_left(session, var_dir):
    try:
        wait_until(lambda: not of_the_command(session, var_dir), timeout=15, what="every process gone")
    except AssertionError:
        raise AssertionError(f"left behind: {of_the_command(session, var_dir)}") from None


class Command:
    """A command in a session (and process group) of its own, its output collected line by line."""

    def __init__(self, args, env):
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self):
        return "\n".join(self.lines)

    def wait_for(self, text, timeout):
        def seen():
            if self.process.poll() is not None and text not in self.output():
                raise AssertionError(f"exited ({self.process.returncode}):\n{self.output()[-3000:]}")
            return text in self.output()
        wait_until(seen, timeout=timeout, interval=0.2, what=f"{text!r} printed")

    def stop(self, signum, group=True):
        if self.process.poll() is None:
            (os.killpg if group else os.kill)(self.process.pid, signum)
        try:
            return self.process.wait(60)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def var_dir():
    """Short, as a unix socket's path must be; shared by this module's runs (the second skips the migrations)."""
    path = Path(tempfile.mkdtemp(prefix="hp-dev-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def dev_run(var_dir, port):
    return Command([sys.executable, "dev.py", "run"], fresh_machine_env(var_dir, HOOKPLATFORM_PORT=str(port)))


def test_run_shows_its_banner_then_only_requests_and_ctrl_c_leaves_no_process(var_dir):
    port = free_port()
    run = dev_run(var_dir, port)
    try:
        run.wait_for(BANNER_END, timeout=180)
        banner = run.output()
        assert f"http://127.0.0.1:{port}/admin/" in banner and "API key:" in banner
        assert f"{var_dir / 'log' / 'worker.log'} and {var_dir / 'log' / 'beat.log'}" in banner
        started = of_the_command(run.process.pid, var_dir).values()
        for name in ("redis-server", "celery -A hookplatform worker", "celery -A hookplatform beat", "runserver"):
            assert any(name in command for command in started), (name, started)

        time.sleep(IDLE_S)
        assert run.output().rstrip() == banner.rstrip(), run.output()[len(banner):]
        assert "delivery.dispatch" in (var_dir / "log" / "worker.log").read_text()  # the worker ticked, in its file

        with pytest.raises(urllib.error.HTTPError):  # no key: 401
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/event-types/", timeout=10)
        run.wait_for('"GET /api/v1/event-types/ HTTP/1.1" 401', timeout=10)

        portal = re.search(r"Portal: +(\S+)", banner).group(1)  # a one-time link into tenant demo's portal
        assert portal.startswith(f"http://127.0.0.1:{port}/webhooks/enter/hpl_")
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(portal, timeout=10) as page:  # its page posts the token, as a browser's script does
            csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read())[1]
        with browser.open(portal, data=b"csrfmiddlewaretoken=" + csrf, timeout=10) as page:
            assert page.url == f"http://127.0.0.1:{port}/webhooks/" and b"Add endpoint" in page.read()
    finally:
        code = run.stop(signal.SIGINT)
    assert code == 0, run.output()[-3000:]
    assert_none_left(run.process.pid, var_dir)


def test_sigterm_to_run_leaves_no_process(var_dir):
    run = dev_run(var_dir, free_port())
    try:
        run.wait_for(BANNER_END, timeout=180)
    finally:
        code = run.stop(signal.SIGTERM, group=False)
    assert code == 0, run.output()[-3000:]
    assert_none_left(run.process.pid, var_dir)


@pytest.mark.parametrize("signum", [None, signal.SIGINT, signal.SIGKILL],
                         ids=["finished", "ctrl-c", "killed"])
def test_a_test_session_leaves_no_broker(var_dir, signum):
    """Its embedded broker stops with the session, however it ends (the test command left two behind)."""
    session_var = var_dir / f"session-{signum or 0}"
    waiting = var_dir / f"waiting-{signum or 0}"
    extra = {"SESSION_PROBE_WAIT": str(waiting)} if signum else {}
    session = Command([sys.executable, "dev.py", "test", "-p", "no:cacheprovider", "-q",
                       "tests/ecosystem/session_probe.py"], fresh_machine_env(session_var, **extra))
    try:
        if signum:
            wait_until(waiting.exists, timeout=120, interval=0.2, what="the probe running")
            running = of_the_command(session.process.pid, session_var).values()
            assert any("redis-server" in command for command in running), running
        code = session.stop(signum) if signum else session.process.wait(120)
    finally:
        session.stop(signal.SIGKILL)
    if signum is None:
        assert code == 0, session.output()[-3000:]
    assert_none_left(session.process.pid, session_var)


def test_run_with_its_port_taken_says_so_and_prints_no_banner(var_dir):
    """A port held by another program (bound, not answering): runserver cannot start, and dev.py says why."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        run = dev_run(var_dir, holder.getsockname()[1])
        code = run.process.wait(180)
    output = run.output()
    assert code == 1 and BANNER_END not in output, output[-3000:]
    assert "the web server stopped" in output and "HOOKPLATFORM_PORT" in output, output[-3000:]
    assert_none_left(run.process.pid, var_dir)
