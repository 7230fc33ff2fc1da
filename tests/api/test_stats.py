"""``endpoint_stats``: counts by outcome and nearest-rank latency percentiles, computed by the database."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery.models import Attempt, Delivery, Event
from delivery.selectors import endpoint_health, endpoint_stats
from subscriptions import create_endpoint, ensure_event_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(db):
    ensure_event_type("invoice.paid")
    return create_endpoint("acme", url="https://127.0.0.1:9/hook")


def add(endpoint, *, status, durations, succeeded_last=False, age=timedelta(0)):
    now = timezone.now() - age
    event = Event.objects.create(tenant=endpoint.tenant, event_type="invoice.paid", body="{}")
    delivery = Delivery.objects.create(event=event, endpoint=endpoint, tenant=endpoint.tenant, status=status,
                                       created_at=now)
    for n, duration in enumerate(durations):
        Attempt.objects.create(delivery=delivery, endpoint=endpoint, started_at=now, duration_ms=duration,
                               succeeded=succeeded_last and n == len(durations) - 1, request_url="u")


def test_counts_and_percentiles(endpoint):
    add(endpoint, status="succeeded", durations=range(1, 61), succeeded_last=True)   # 1..60 ms
    add(endpoint, status="failed", durations=range(61, 101))                          # 61..100 ms
    add(endpoint, status="pending", durations=[])
    add(endpoint, status="failed", durations=[5000], age=timedelta(days=2))           # outside the window
    with CaptureQueriesContext(connection) as queries:
        stats = endpoint_stats(endpoint)
    assert stats["deliveries"] == {"pending": 1, "sending": 0, "succeeded": 1, "retrying": 0, "failed": 1,
                                   "cancelled": 0, "total": 3}
    assert stats["attempts"] == {"total": 100, "succeeded": 1, "failed": 99}
    assert stats["latency_ms"] == {"p50": 50, "p90": 90, "p95": 95, "p99": 99, "max": 100}
    assert len(queries) <= 6  # aggregates, not a row per attempt


def test_window_and_empty(endpoint):
    add(endpoint, status="failed", durations=[7], age=timedelta(days=2))
    assert endpoint_stats(endpoint)["latency_ms"]["p50"] is None
    wider = endpoint_stats(endpoint, since=timezone.now() - timedelta(days=3))
    assert wider["latency_ms"] == {"p50": 7, "p90": 7, "p95": 7, "p99": 7, "max": 7}
    assert wider["deliveries"]["failed"] == 1


def test_the_api_and_the_dashboard_give_the_same_percentiles(endpoint):
    """One definition (nearest rank) over the same sample and window, on SQLite and PostgreSQL alike."""
    from delivery.admin.dashboard import dashboard_figures

    add(endpoint, status="failed", durations=[10, 20, 30, 1000])  # interpolation would give a p95 of 853
    api = endpoint_stats(endpoint)["latency_ms"]
    health = endpoint_health([endpoint.pk])[endpoint.pk]
    (failing,) = dashboard_figures()["failing"]
    assert api["p95"] == health.p95_ms == 1000 and failing["p95_text"] == "1,000 ms"
    assert api["p50"] == health.p50_ms == 20
