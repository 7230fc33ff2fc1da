from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import http_client, publish, signals, states, wire
from delivery.models import Delivery
from delivery.recording import record_outcomes
from subscriptions import create_endpoint


@pytest.fixture
def endpoint(invoice_paid):
    return create_endpoint("org_42", url="http://127.0.0.1:9/hook")


@pytest.fixture
def event(invoice_paid):
    return publish("invoice.paid", {"invoice_id": "in_1"}, tenant="org_42")


@pytest.fixture
def make_delivery(endpoint, event):
    """A delivery row of ``event`` to ``endpoint`` (or another endpoint) in any state."""

    def make(status=Delivery.Status.PENDING, *, to=None, due_in=0, **fields):
        to = to or endpoint
        if status in (Delivery.Status.PENDING, Delivery.Status.RETRYING):
            fields.setdefault("next_attempt_at", timezone.now() + timedelta(seconds=due_in))
        return Delivery.objects.create(event=event, endpoint=to, tenant_id=to.tenant_id, status=status,
                                       **fields)

    return make


def answer(status=None, *, error=None, headers=None):
    """What a receiver did, as ``http_client.post`` reports it."""
    return http_client.Outcome(started_at=timezone.now().timestamp(), duration_ms=12,
                          succeeded=status is not None and 200 <= status < 300, status=status,
                          headers=headers or ({} if status else None), body="ok" if status else "",
                          error_class=error or "", error_message=f"{error} happened" if error else "")


def request_for(delivery):
    return wire.Request(url=delivery.endpoint.url, headers={"webhook-id": delivery.event_id}, body=b"{}")


@pytest.fixture
def short_schedule(settings):
    """Two retries, no jitter: a delivery is exhausted on its third failure, at known times."""
    settings.WEBHOOKS_RETRY_SCHEDULE = "10,20"
    settings.WEBHOOKS_RETRY_JITTER = 0


@pytest.fixture
def heard():
    """Every signal the platform sends during the test, in order."""
    log = []

    def listener(name):
        def receive(sender, **kwargs):
            log.append((name, kwargs))
        return receive

    receivers = {signal: listener(name) for name, signal in (
        ("succeeded", signals.delivery_succeeded), ("exhausted", signals.delivery_exhausted),
        ("disabled", signals.endpoint_disabled))}
    for signal, receive in receivers.items():
        signal.connect(receive)
    yield log
    for signal, receive in receivers.items():
        signal.disconnect(receive)


def attempt(delivery, outcome, trigger="scheduled"):
    """Claim ``delivery``, record ``outcome`` for it; return it fresh from the database."""
    ids, token = states.claim_one(delivery.pk)
    [held] = states.start(ids, token)
    record_outcomes([held], [(request_for(held), outcome)], token, trigger)
    delivery.refresh_from_db()
    return delivery
