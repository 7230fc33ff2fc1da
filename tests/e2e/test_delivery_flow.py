"""Publish → fan-out → signed POST → retries → attempt log, with a real worker and receiver."""

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook

from delivery import publish
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type, reveal_secret

pytestmark = pytest.mark.e2e


def wait_until(predicate, timeout=30, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def verify(secret, request):
    return Webhook(secret).verify(request.body, request.headers)


def test_event_reaches_matching_endpoints_only_signed(live_worker, receiver):
    ensure_event_type("invoice.paid")
    ensure_event_type("call.ended")
    a = create_endpoint("org_1", url=receiver.url("/a"), event_types=["invoice.*"])
    b = create_endpoint("org_1", url=receiver.url("/b"), event_types=["invoice.paid"])
    create_endpoint("org_1", url=receiver.url("/c"), event_types=["call.*"])
    create_endpoint("org_2", url=receiver.url("/other-tenant"))

    event = publish("invoice.paid", {"invoice_id": "in_1", "amount": 4200}, tenant="org_1")

    got_a = receiver.wait_for(1, "/a")[0]
    got_b = receiver.wait_for(1, "/b")[0]
    assert verify(reveal_secret(a), got_a)["data"] == {"invoice_id": "in_1", "amount": 4200}
    assert verify(reveal_secret(b), got_b)["type"] == "invoice.paid"
    assert got_a.headers["webhook-id"] == event.id
    assert got_a.headers["content-type"] == "application/json"
    assert got_a.headers["user-agent"].startswith("hookplatform/")
    body = json.loads(got_a.body)
    assert set(body) == {"type", "timestamp", "data"}
    time.sleep(1)
    assert receiver.to("/c") == [] and receiver.to("/other-tenant") == []


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
    assert len({r.body for r in got}) == 1
    assert {r.headers["webhook-id"] for r in got} == {event.id}
    for request in got:
        verify(reveal_secret(endpoint), request)
    assert "<redacted>" in attempts[0].request_headers["webhook-signature"]
    time.sleep(1.5)
    assert len(receiver.to("/flaky")) == 3


def test_always_failing_delivery_ends_failed_and_signals_once(live_worker, receiver):
    ensure_event_type("invoice.paid")
    create_endpoint("org_1", url=receiver.url("/down"))
    receiver.answer("/down", 503)
    # The worker is another process: its signal is observed through the
    # database here, and by a listener in-process in tests/delivery.
    event = publish("invoice.paid", {"n": 2}, tenant="org_1")
    delivery = wait_until(lambda: Delivery.objects.filter(event=event, status="failed").first(), timeout=40)
    assert delivery.attempt_count == 4
    assert Attempt.objects.filter(delivery=delivery).count() == 4
    assert len(receiver.to("/down")) == 4
