"""A real Celery worker process (with the beat scheduler inside) for end-to-end tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

# Short schedules so that a test sees retries, lapses and exhaustion in seconds.
TEST_ENV = {
    "WEBHOOKS_RETRY_SCHEDULE": "1,1,1",
    "WEBHOOKS_RETRY_JITTER": "0.1",
    "WEBHOOKS_TIMEOUT": "3",
    "WEBHOOKS_DISPATCH_INTERVAL": "0.25",
    "WEBHOOKS_QUEUE_LEASE": "6",
    "WEBHOOKS_LEASE_MARGIN": "3",
    "WEBHOOKS_BATCH_SIZE": "20",
    "WEBHOOKS_SEND_CONCURRENCY": "10",
    "WEBHOOKS_OUTBOX_GRACE": "1",
}


def test_database_url():
    """The URL of the database this test session created, for the worker to share."""
    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or ""
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5432}/{config['NAME']}"


class WorkerProcess:
    def __init__(self, extra_env=None, concurrency=2, beat=True):
        self.extra_env = extra_env or {}
        self.concurrency = concurrency
        self.beat = beat
        self.process = None
        self.log_path = Path(settings.VAR_DIR) / f"worker-{os.getpid()}-{time.time_ns()}.log"

    def env(self):
        env = dict(os.environ)
        env.update(TEST_ENV)
        env.update(self.extra_env)
        env["DATABASE_URL"] = test_database_url()
        env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        env["PYTHONPATH"] = str(ROOT)
        return env

    def start(self):
        args = [sys.executable, "-m", "celery", "-A", "hookplatform", "worker", "-c",
                str(self.concurrency), "-l", "info", "--without-mingle", "--without-gossip",
                "-n", f"test-{time.time_ns()}@%h"]
        if self.beat:
            args += ["-B", "-s", str(Path(settings.VAR_DIR) / f"beat-{time.time_ns()}")]
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env(), stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()[-4000:]}")
            if " ready." in self.log_path.read_text():
                return
            time.sleep(0.1)
        raise RuntimeError(f"worker not ready in {timeout} s:\n{self.log_path.read_text()[-4000:]}")

    def kill(self):
        """SIGKILL the whole process group: the main process and every pool child."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self):
        return self.log_path.read_text()
