"""L8: /healthz names no internals and cannot pile up checks; /metrics can ask for a token."""

import threading
import time

import pytest

from hookplatform import ops
from tests.receiver import RawServer
from tests.worker import free_port, publishing_through


def test_healthz_errors_name_no_host_port_or_credentials(client, db):
    """L8: the 503 carried `OperationalError: Error 111 connecting to <host>:<port>` for anyone to read."""
    port = free_port()
    with publishing_through(f"redis://:hunter2-pass@127.0.0.1:{port}/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["error"] == "broker unavailable"
    assert str(port) not in response.content.decode() and "127.0.0.1" not in response.content.decode()


def test_a_hanging_broker_holds_one_check_however_many_probes_arrive(db):
    """L8: each probe queued another connection attempt behind the hung ones, without bound."""
    silent = RawServer(lambda conn: time.sleep(15)).start()
    try:
        with publishing_through(f"redis://127.0.0.1:{silent.sock.getsockname()[1]}/0"):
            for _ in range(30):
                with pytest.raises(TimeoutError):
                    ops.check_broker(timeout=0.02)
            under_way = [t for t in threading.enumerate() if t.name.startswith("healthz")]
            assert len(under_way) <= 1, under_way
    finally:
        silent.stop()


def test_metrics_asks_for_the_token_when_one_is_set(client, db, settings):
    """L8: /metrics ran its COUNT queries for anyone who asked."""
    settings.HOOKPLATFORM_METRICS_TOKEN = "scrape-token-123"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    answer = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-123")
    assert answer.status_code == 200 and b"hookplatform_deliveries_due" in answer.content


def test_metrics_stays_open_without_a_token(client, db):
    assert client.get("/metrics").status_code == 200
