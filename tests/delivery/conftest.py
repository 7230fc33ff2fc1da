from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import http_client, publish, wire
from delivery.models import Delivery
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
