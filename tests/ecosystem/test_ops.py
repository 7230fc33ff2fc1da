"""/healthz and /metrics: answered by the app, fed by a real worker, 503 when the broker is gone."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from delivery import publish
from delivery.models import Delivery, Event
from subscriptions import create_endpoint, disable_endpoint, ensure_event_type
from tests.worker import free_port, publishing_through, wait_until


def metric(text, name, labels=""):
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["content-type"].startswith("text/plain")
    return response.content.decode()


def test_healthz_is_ok_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


def test_healthz_is_503_with_a_dead_broker(client, db):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with publishing_through(dead):
        response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["broker"]["ok"] is False and checks["broker"]["error"]
    assert checks["broker"]["ms"] < 5000


def test_metrics_survive_the_empty_file_of_a_process_killed_while_creating_it(client, db):
    empty = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]) / f"counter_{os.getpid()}999.db"
    empty.touch()
    try:
        assert "hookplatform_attempt_duration_seconds_bucket" in scrape(client)
    finally:
        empty.unlink()


def test_metrics_reads_backlog_and_disabled_endpoints_from_the_database(client, db):
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_m", url="http://127.0.0.1:9/hook")
    other = create_endpoint("org_m", url="http://127.0.0.1:9/other")
    event = Event.objects.create(tenant=endpoint.tenant, event_type="invoice.paid", body="{}",
                                 fanned_out_at=timezone.now())
    for target, minutes in ((endpoint, 10), (other, 1)):
        Delivery.objects.create(event=event, endpoint=target, tenant=endpoint.tenant, status="retrying",
                                next_attempt_at=timezone.now() - timedelta(minutes=minutes))
    disable_endpoint(create_endpoint("org_m", url="http://127.0.0.1:9/gone"), reason="test")

    text = scrape(client)

    assert metric(text, "hookplatform_deliveries_due") == 2
    assert 590 < metric(text, "hookplatform_deliveries_due_oldest_age_seconds") < 700
    assert metric(text, "hookplatform_endpoints_disabled") == 1
    assert metric(text, "hookplatform_attempts_total", '{outcome="succeeded"}') is not None
    assert "hookplatform_attempt_duration_seconds_bucket" in text


@pytest.mark.e2e
def test_metrics_count_the_attempts_a_real_worker_made(live_worker, receiver, client):
    ensure_event_type("invoice.paid")
    create_endpoint("org_m", url=receiver.url("/ok"))
    create_endpoint("org_m", url=receiver.url("/down"))
    receiver.answer("/down", 500)
    before = scrape(client)

    publish("invoice.paid", {"n": 1}, tenant="org_m")
    receiver.wait_for(1, "/ok")
    receiver.wait_for(1, "/down")

    def counted():
        text = scrape(client)
        ok = metric(text, "hookplatform_attempts_total", '{outcome="succeeded"}')
        failed = metric(text, "hookplatform_attempts_total", '{outcome="http_error"}')
        return text if ok >= metric(before, "hookplatform_attempts_total", '{outcome="succeeded"}') + 1 and \
            failed >= metric(before, "hookplatform_attempts_total", '{outcome="http_error"}') + 1 else None

    after = wait_until(counted, 15)
    assert metric(after, "hookplatform_attempt_duration_seconds_count") >= \
        metric(before, "hookplatform_attempt_duration_seconds_count") + 2


@pytest.mark.e2e
def test_healthz_turns_503_when_the_broker_stops_and_200_when_it_is_back(live_worker, spawn, own_redis):
    web_port = free_port()
    spawn("-m", "gunicorn", "hookplatform.wsgi:application", "--bind", f"127.0.0.1:{web_port}", "--workers", "1",
          extra_env={"CELERY_BROKER_URL": own_redis.url}, name="web")
    url = f"http://127.0.0.1:{web_port}/healthz"

    def status():
        try:
            return requests.get(url, timeout=10).status_code
        except requests.ConnectionError:
            return None

    assert wait_until(lambda: status() == 200, 30)
    own_redis.stop()

    response = requests.get(url, timeout=10)
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True

    own_redis.start()
    assert wait_until(lambda: status() == 200, 15)
