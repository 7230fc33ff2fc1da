"""A small, realistic webhook history for the console's tests: two tenants, endpoints, events and attempts."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from delivery.models import Attempt, Delivery, Event
from subscriptions import create_endpoint, ensure_event_type


def make_attempt(delivery, *, ok, status=None, minutes_ago=5, duration_ms=120, trigger="scheduled"):
    return Attempt.objects.create(
        delivery=delivery, endpoint=delivery.endpoint, trigger=trigger,
        started_at=timezone.now() - timedelta(minutes=minutes_ago), duration_ms=duration_ms, succeeded=ok,
        request_url=delivery.endpoint.url,
        request_headers={"webhook-id": delivery.event_id, "webhook-signature": "<redacted>"},
        response_status=status or (200 if ok else 500), response_headers={"content-type": "application/json"},
        response_body=json.dumps({"ok": ok}),
    )


def make_delivery(event, endpoint, status, *, attempts=(), created_ago=timedelta(minutes=10)):
    delivery = Delivery.objects.create(
        event=event, endpoint=endpoint, tenant=endpoint.tenant, status=status, attempt_count=len(attempts),
        created_at=timezone.now() - created_ago,
        next_attempt_at=timezone.now() - timedelta(minutes=1) if status in ("pending", "retrying") else None,
        finished_at=timezone.now() if status in ("succeeded", "failed") else None,
    )
    for ok in attempts:
        make_attempt(delivery, ok=ok)
    return delivery


def make_event(tenant, n, event_type="invoice.paid"):
    return Event.objects.create(tenant=tenant, event_type=event_type, idempotency_key=f"key-{n}",
                                body=json.dumps({"type": event_type, "timestamp": "2026-01-01T00:00:00Z",
                                                 "data": {"n": n}}, separators=(",", ":")),
                                fanned_out_at=timezone.now())


@pytest.fixture
def history(db):
    """Endpoint ``good`` mostly succeeds; ``bad`` fails; ``other`` belongs to a second tenant."""
    ensure_event_type("invoice.paid")
    ensure_event_type("call.ended")
    good = create_endpoint("org_1", url="https://good.example.com/hooks", event_types=["invoice.*"],
                           headers={"Authorization": "Bearer very-secret-token", "X-Team": "billing"})
    bad = create_endpoint("org_1", url="https://bad.example.com/hooks")
    other = create_endpoint("org_2", url="https://other.example.com/hooks")
    events = [make_event(good.tenant, n) for n in range(4)]
    deliveries = {
        "succeeded": make_delivery(events[0], good, "succeeded", attempts=[False, True]),
        "failed": make_delivery(events[0], bad, "failed", attempts=[False, False, False]),
        "old_failed": make_delivery(events[1], bad, "failed", attempts=[False], created_ago=timedelta(days=3)),
        "retrying": make_delivery(events[2], bad, "retrying", attempts=[False]),
        "pending": make_delivery(events[3], good, "pending"),
        "other_failed": make_delivery(make_event(other.tenant, 9), other, "failed", attempts=[False]),
    }
    return {"good": good, "bad": bad, "other": other, "events": events, **deliveries}


@pytest.fixture
def viewer(db, client):
    """A staff user who may view everything but change nothing."""
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(user)
    return client


def snapshot():
    """Every row the console could touch, as comparable tuples."""
    from subscriptions.models import Endpoint, EndpointSecret

    return {
        "deliveries": {d.pk: (d.status, d.attempt_count, d.next_attempt_at, d.lease_token)
                       for d in Delivery.objects.all()},
        "endpoints": {e.pk: (e.disabled, e.disabled_reason, e.url) for e in Endpoint.objects.all()},
        "secrets": {s.pk: (s.key, s.expires_at) for s in EndpointSecret.objects.all()},
        "events": set(Event.objects.values_list("pk", flat=True)),
        "attempts": Attempt.objects.count(),
    }
