"""Fixtures for the ecosystem tests: Django commands and servers run as real subprocesses."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.worker import ROOT, RedisServer, test_database_url, wait_until


class ManagedProcess:
    """A subprocess on the test database whose output goes to a file the test can read."""

    def __init__(self, args, log_path, extra_env=None):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": test_database_url(),
               "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
        self.log_path = Path(log_path)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def output(self):
        return self.log_path.read_text()

    def wait_for_output(self, text, timeout=30):
        def seen():
            if self.process.poll() is not None and text not in self.output():
                raise AssertionError(f"process exited ({self.process.returncode}):\n{self.output()[-3000:]}")
            return text in self.output()
        return wait_until(seen, timeout, what=f"{text!r} printed")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


@pytest.fixture
def spawn(settings, request):
    """Start Django-side processes (``manage.py`` commands, gunicorn) that are stopped after the test."""
    started = []

    def start(*args, extra_env=None, name="proc"):
        log = Path(settings.VAR_DIR) / f"eco-{name}-{os.getpid()}-{time.time_ns()}.log"
        process = ManagedProcess([sys.executable, *args], log, extra_env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def own_redis():
    """A redis-server of this test's own on a free port (never the machine's 6379)."""
    server = RedisServer().start()
    yield server
    server.stop()
