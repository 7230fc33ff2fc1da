"""The shop's own orders reach its customers' endpoints as signed webhooks, from the installed package."""

import sys
import time
from pathlib import Path

import delivery
import pytest
from delivery.models import Event
from django.db import transaction
from standardwebhooks.webhooks import Webhook
from subscriptions import create_endpoint, reveal_secret
from subscriptions.api_keys import create_api_key

from shop.models import Order
from shop.orders import mark_paid, place_order

SHOP_DIR = Path(__file__).resolve().parent.parent
CHECKOUT = SHOP_DIR.parent.parent


def test_hookplatform_comes_from_the_installed_package():
    installed = Path(delivery.__file__).resolve()
    assert "site-packages" in installed.parts, installed
    assert Path(sys.prefix).resolve() in installed.parents  # this venv's, not the checkout's delivery/
    assert str(CHECKOUT) not in [str(Path(p).resolve()) for p in sys.path if p]


def test_order_created_and_paid_arrive_signed(live_worker, receiver, acme):
    endpoint = create_endpoint("acme", url=receiver.url(), event_types=["order.*"])

    order = place_order(acme, number="SO-1001", total_cents=4200)
    mark_paid(order)

    got = receiver.wait_for(2)
    webhook = Webhook(reveal_secret(endpoint))
    by_type = {r["json"]["type"]: webhook.verify(r["body"], r["headers"]) for r in got}
    assert by_type["order.created"]["data"] == {"order": "SO-1001", "total_cents": 4200, "status": "placed"}
    assert by_type["order.paid"]["data"]["order"] == "SO-1001"
    assert by_type["order.paid"]["data"]["total_cents"] == 4200


def test_a_rolled_back_order_sends_nothing(live_worker, receiver, acme):
    create_endpoint("acme", url=receiver.url(), event_types=["order.created"])

    with pytest.raises(RuntimeError), transaction.atomic():
        place_order(acme, number="SO-2001", total_cents=100)
        raise RuntimeError("payment provider said no")
    place_order(acme, number="SO-2002", total_cents=200)

    got = receiver.wait_for(1)
    time.sleep(1)
    assert [r["json"]["data"]["order"] for r in receiver.requests] == ["SO-2002"]
    assert not Order.objects.filter(number="SO-2001").exists()
    assert Event.objects.filter(event_type="order.created").count() == 1
    assert got[0]["headers"]["webhook-id"] == Event.objects.get().id


def test_paying_twice_publishes_once(acme):
    order = place_order(acme, number="SO-3001", total_cents=300)
    mark_paid(order)
    mark_paid(order)
    assert Event.objects.filter(event_type="order.paid").count() == 1


def test_the_api_and_healthz_are_mounted(client, acme):
    create_endpoint("acme", url="http://127.0.0.1:9/hooks")
    _, key = create_api_key(tenant=None, name="shop-admin")

    response = client.get("/api/v1/tenants/acme/endpoints/", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 200, response.content
    assert [e["url"] for e in response.json()["results"]] == ["http://127.0.0.1:9/hooks"]
    assert client.get("/ops/healthz").status_code in (200, 503)


def test_the_api_answers_json_under_the_shops_prefix_whatever_fails(client, db):
    """ApiErrorsMiddleware from the installed package: a bad Host and an unknown route under /api/ get JSON."""
    for path, host, status in [("/api/v1/event-types/", "evil.example", 400), ("/api/nowhere", "localhost", 404)]:
        response = client.get(path, HTTP_HOST=host)
        assert response.status_code == status
        assert response["Content-Type"] == "application/json", response.content[:200]
    assert "text/html" in client.get("/nowhere", HTTP_HOST="localhost")["Content-Type"]
