"""A real receiver on 127.0.0.1 and a real Celery worker of the shop (with beat) on the test database."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

SHOP_DIR = Path(__file__).resolve().parent.parent


class Receiver:
    """Records every POST and answers 200."""

    def __init__(self):
        self.requests = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                received.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                 "json": json.loads(body)})
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path="/hooks"):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def wait_for(self, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.requests) < count:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"expected {count} webhooks, got {len(self.requests)}"
        return list(self.requests)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture(scope="session")
def worker(django_db_setup, django_db_blocker):
    """``celery -A shop_project worker -B``, exactly as the shop runs it, on the test database."""
    log_path = Path(settings.VAR_DIR) / f"worker-{os.getpid()}.log"
    env = {**os.environ, "SHOP_DB": connection.settings_dict["NAME"], "PYTHONPATH": str(SHOP_DIR),
           "WEBHOOKS_RETRY_SCHEDULE": "1,1", "WEBHOOKS_DISPATCH_INTERVAL": "0.25"}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop_project", "worker", "-B", "-c", "2", "-l", "info",
             "--without-mingle", "--without-gossip", "-n", f"shop-{time.time_ns()}@%h",
             "-s", str(Path(settings.VAR_DIR) / "celerybeat-schedule")],
            cwd=SHOP_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    deadline = time.time() + 60
    while " ready." not in log_path.read_text():
        if process.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"the shop's worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def live_worker(worker, transactional_db):
    return worker


@pytest.fixture
def acme(db):
    from shop.models import Account

    return Account.objects.create(uid="acme", name="Acme Corp")
