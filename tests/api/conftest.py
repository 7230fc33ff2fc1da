"""Fixtures of the API tests: keys, clients that present them, two tenants with traffic."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from delivery.models import Attempt, Delivery, Event
from subscriptions import create_endpoint, ensure_event_type
from subscriptions.api_keys import create_api_key
from subscriptions.tenants import create_tenant


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def client_with(key):
    client = APIClient(HTTP_HOST="localhost")
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def anonymous():
    return client_with(None)


@pytest.fixture
def platform(db):
    """A client holding a platform key."""
    return client_with(create_api_key(name="platform")[1])


@pytest.fixture
def invoice_paid_type(db):
    return ensure_event_type("invoice.paid", description="An invoice was paid")


@pytest.fixture
def acme(db):
    return create_tenant("acme", name="Acme")


@pytest.fixture
def globex(db):
    return create_tenant("globex", name="Globex")


@pytest.fixture
def acme_key(acme):
    """A client holding a key of tenant ``acme``."""
    return client_with(create_api_key(tenant=acme, name="acme")[1])


def make_traffic(tenant, *, url="https://127.0.0.1:9/hook", deliveries=3, attempts_each=2):
    """An endpoint of ``tenant`` with events, deliveries and attempts written straight to the database."""
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint(tenant, url=url)
    now = timezone.now()
    made = []
    for n in range(deliveries):
        event = Event.objects.create(tenant=tenant, event_type="invoice.paid",
                                     body=json.dumps({"type": "invoice.paid", "timestamp": "x", "data": {"n": n}}),
                                     fanned_out_at=now)
        delivery = Delivery.objects.create(event=event, endpoint=endpoint, tenant=tenant,
                                           status=Delivery.Status.FAILED, attempt_count=attempts_each,
                                           created_at=now - timedelta(minutes=deliveries - n))
        for a in range(attempts_each):
            Attempt.objects.create(
                delivery=delivery, endpoint=endpoint, started_at=now - timedelta(seconds=100 - 10 * n - a),
                duration_ms=10 * (a + 1), succeeded=False, request_url=endpoint.url,
                request_headers={"webhook-signature": "<redacted>"}, response_status=500,
                response_headers={"content-type": "text/plain"}, response_body="boom",
            )
        made.append(delivery)
    return endpoint, made


@pytest.fixture
def acme_traffic(acme):
    return make_traffic(acme)


@pytest.fixture
def globex_traffic(globex):
    return make_traffic(globex)
