"""Publish → fan-out → signed POST → retries → attempt log, with a real worker and receiver."""

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook

from delivery import publish
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type, reveal_secret
from tests.probe.recorder import recorded
from tests.worker import wait_until

pytestmark = pytest.mark.e2e


def verify(secret, request):
    return Webhook(secret).verify(request.body, request.headers)


def test_event_reaches_matching_endpoints_only_signed(live_worker, receiver):
    ensure_event_type("invoice.paid")
    ensure_event_type("call.ended")
    a = create_endpoint("org_1", url=receiver.url("/a"), event_types=["invoice.*"])
    b = create_endpoint("org_1", url=receiver.url("/b"), event_types=["invoice.paid"], headers={"X-Team": "b"})
    create_endpoint("org_1", url=receiver.url("/c"), event_types=["call.*"])
    create_endpoint("org_2", url=receiver.url("/other-tenant"))

    event = publish("invoice.paid", {"invoice_id": "in_1", "amount": 4200}, tenant="org_1")

    got_a = receiver.wait_for(1, "/a")[0]
    got_b = receiver.wait_for(1, "/b")[0]
    assert verify(reveal_secret(a), got_a)["data"] == {"invoice_id": "in_1", "amount": 4200}
    assert verify(reveal_secret(b), got_b)["type"] == "invoice.paid"
    assert got_a.headers["webhook-id"] == got_b.headers["webhook-id"] == event.id
    assert got_a.body == got_b.body == event.body.encode()
    assert got_a.headers["content-type"] == "application/json"
    assert got_a.headers["user-agent"].startswith("hookplatform/")
    assert got_b.headers["x-team"] == "b"
    body = json.loads(got_a.body)
    assert set(body) == {"type", "timestamp", "data"} and body["timestamp"].endswith("Z")
    time.sleep(1.5)
    assert receiver.to("/c") == [] and receiver.to("/other-tenant") == []
    assert len(receiver.to("/a")) == len(receiver.to("/b")) == 1
    assert {d.endpoint_id for d in Delivery.objects.filter(event=event)} == {a.id, b.id}


def test_retries_until_success_with_identical_bytes(live_worker, receiver):
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_1", url=receiver.url("/flaky"))
    receiver.answer("/flaky", 500, 500, 200)

    event = publish("invoice.paid", {"n": 1}, tenant="org_1")

    got = receiver.wait_for(3, "/flaky")
    delivery = wait_until(lambda: Delivery.objects.filter(event=event, status="succeeded").first())
    assert delivery.attempt_count == 3
    attempts = list(Attempt.objects.filter(delivery=delivery).order_by("id"))
    assert [a.response_status for a in attempts] == [500, 500, 200]
    assert [a.succeeded for a in attempts] == [False, False, True]
    assert all(a.started_at and a.duration_ms is not None and a.request_url == endpoint.url for a in attempts)
    assert len({r.body for r in got}) == 1
    assert {r.headers["webhook-id"] for r in got} == {event.id}
    for request in got:
        verify(reveal_secret(endpoint), request)
    # Each attempt is signed at its own time, one schedule step (about 1 s) apart.
    stamps = [int(r.headers["webhook-timestamp"]) for r in got]
    assert stamps == sorted(stamps) and stamps[-1] > stamps[0]
    assert "<redacted>" in attempts[0].request_headers["webhook-signature"]
    assert recorded("delivery_succeeded", delivery=delivery.pk)
    time.sleep(1.5)
    assert len(receiver.to("/flaky")) == 3


def test_always_failing_delivery_ends_failed_and_signals_once(live_worker, receiver):
    ensure_event_type("invoice.paid")
    create_endpoint("org_1", url=receiver.url("/down"))
    receiver.answer("/down", 503)

    event = publish("invoice.paid", {"n": 2}, tenant="org_1")

    delivery = wait_until(lambda: Delivery.objects.filter(event=event, status="failed").first(), timeout=40)
    assert delivery.attempt_count == 4  # the first try and the test schedule's three retries
    assert Attempt.objects.filter(delivery=delivery).count() == 4
    assert len(receiver.to("/down")) == 4
    # The signal fired inside the worker process; tests.probe wrote it down there.
    signals = wait_until(lambda: recorded("delivery_exhausted", event=event.id), timeout=5)
    time.sleep(1.5)
    signals = recorded("delivery_exhausted", event=event.id)
    assert len(signals) == 1 and signals[0]["delivery"] == delivery.pk and signals[0]["status"] == "failed"
    assert signals[0]["pid"] != __import__("os").getpid()
    assert len(receiver.to("/down")) == 4
