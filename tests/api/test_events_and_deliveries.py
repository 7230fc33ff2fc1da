"""Publishing and reading events; listing, filtering, reading and retrying deliveries; attempts."""

import base64
import json

import pytest
from django.test import override_settings

from delivery.models import Delivery, Event
from subscriptions.models import Endpoint
from tests.api.conftest import make_traffic

pytestmark = pytest.mark.django_db
EVENTS = "/api/v1/tenants/acme/events/"
DELIVERIES = "/api/v1/tenants/acme/deliveries/"


def test_publish_answers_202_with_the_event(platform, acme, invoice_paid_type):
    response = platform.post(EVENTS, {"event_type": "invoice.paid", "data": {"invoice_id": "in_1"},
                                      "idempotency_key": "in_1-paid"}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    event = Event.objects.get(pk=body["id"])
    assert event.tenant == acme and body["data"] == {"invoice_id": "in_1"}
    assert body["event_type"] == "invoice.paid" and body["idempotency_key"] == "in_1-paid"
    again = platform.post(EVENTS, {"event_type": "invoice.paid", "data": {"invoice_id": "in_1"},
                                   "idempotency_key": "in_1-paid"}, format="json")
    assert again.status_code == 202 and again.json()["id"] == event.id
    assert Event.objects.count() == 1


@pytest.mark.parametrize("body,field", [
    ({"data": {}}, "event_type"),
    ({"event_type": "invoice.paid"}, "data"),
    ({"event_type": "no.such", "data": {}}, "event_type"),
    ({"event_type": 5, "data": {}}, "event_type"),
    ({"event_type": "invoice.paid", "data": [1, 2]}, "data"),
    ({"event_type": "invoice.paid", "data": "text"}, "data"),
    ({"event_type": "invoice.paid", "data": {"blob": "x" * 300_000}}, "data"),
    ({"event_type": "invoice.paid", "data": {}, "idempotency_key": ""}, "idempotency_key"),
    ({"event_type": "invoice.paid", "data": {}, "idempotency_key": "k" * 300}, "idempotency_key"),
])
def test_publish_validation(platform, acme, invoice_paid_type, body, field):
    response = platform.post(EVENTS, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Event.objects.exists()


def test_publish_checks_the_event_types_schema(platform, acme):
    platform.post("/api/v1/event-types/", {"name": "order.placed", "schema": {
        "type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}}}}, format="json")
    response = platform.post(EVENTS, {"event_type": "order.placed", "data": {"order_id": 5}}, format="json")
    assert response.status_code == 400 and "order_id" in response.json()["data"][0]


def test_events_list_newest_first_with_cursor(platform, acme, invoice_paid_type):
    ids = [platform.post(EVENTS, {"event_type": "invoice.paid", "data": {"n": n}}, format="json").json()["id"]
           for n in range(5)]
    first = platform.get(EVENTS, {"limit": 2}).json()
    assert [e["id"] for e in first["results"]] == ids[::-1][:2]
    # Stable under inserts: a new event does not shift the next page.
    platform.post(EVENTS, {"event_type": "invoice.paid", "data": {"n": 99}}, format="json")
    second = platform.get(first["next"]).json()
    assert [e["id"] for e in second["results"]] == ids[::-1][2:4]


def test_event_detail_lists_each_delivery_status(platform, acme_traffic):
    endpoint, deliveries = acme_traffic
    event_id = deliveries[0].event_id
    body = platform.get(f"{EVENTS}{event_id}/").json()
    assert body["deliveries"] == [{
        "id": deliveries[0].pk, "endpoint": endpoint.pk, "status": "failed", "attempt_count": 2,
        "next_attempt_at": None, "last_attempt_at": None, "last_response_status": None, "finished_at": None,
    }]
    assert platform.get(f"{EVENTS}msg_01ARZ3NDEKTSV4RRFFQ69G5FAV/").status_code == 404


def test_deliveries_filters(platform, acme_traffic):
    endpoint, deliveries = acme_traffic
    other, _ = make_traffic(endpoint.tenant, url="https://127.0.0.1:9/other", deliveries=1)
    Delivery.objects.filter(pk=deliveries[2].pk).update(status="succeeded")
    everything = platform.get(DELIVERIES).json()["results"]
    assert len(everything) == 4 and everything[0]["id"] > everything[-1]["id"]
    by_endpoint = platform.get(DELIVERIES, {"endpoint": endpoint.pk}).json()["results"]
    assert [d["id"] for d in by_endpoint] == [d.pk for d in reversed(deliveries)]
    by_event = platform.get(DELIVERIES, {"event": deliveries[1].event_id}).json()["results"]
    assert [d["id"] for d in by_event] == [deliveries[1].pk]
    by_status = platform.get(DELIVERIES, {"status": "succeeded"}).json()["results"]
    assert [d["id"] for d in by_status] == [deliveries[2].pk]
    assert by_status[0]["event_type"] == "invoice.paid"
    bad = platform.get(DELIVERIES, {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()


def test_delivery_detail_lists_every_attempt(platform, acme_traffic):
    _, deliveries = acme_traffic
    body = platform.get(f"{DELIVERIES}{deliveries[0].pk}/").json()
    assert len(body["attempts"]) == 2
    attempt = body["attempts"][0]
    assert attempt["response_status"] == 500 and attempt["response_body"] == "boom"
    assert attempt["request_headers"] == {"webhook-signature": "<redacted>"}
    assert {"started_at", "duration_ms", "response_headers", "error_class", "error_message"} <= set(attempt)
    assert platform.get(f"{DELIVERIES}99999999/").status_code == 404


def test_attempt_lists_are_cursor_paginated(platform, acme_traffic):
    endpoint, deliveries = acme_traffic
    url = f"/api/v1/tenants/acme/endpoints/{endpoint.pk}/attempts/"
    seen, page = [], platform.get(url, {"limit": 4}).json()
    while True:
        seen += [a["started_at"] for a in page["results"]]
        if not page["next"]:
            break
        page = platform.get(page["next"]).json()
    assert len(seen) == 6 and seen == sorted(seen, reverse=True)
    of_delivery = platform.get(f"{DELIVERIES}{deliveries[0].pk}/attempts/").json()["results"]
    assert {a["delivery"] for a in of_delivery} == {deliveries[0].pk} and len(of_delivery) == 2


def test_retry_sends_again_as_a_new_attempt(platform, acme_traffic):
    _, deliveries = acme_traffic
    response = platform.post(f"{DELIVERIES}{deliveries[0].pk}/retry/")
    assert response.status_code == 202 and response.json()["status"] == "sending"
    busy = platform.post(f"{DELIVERIES}{deliveries[0].pk}/retry/")
    assert busy.status_code == 409 and busy.json()["detail"]


def _cursor(position):
    return base64.b64encode(f"p={position}".encode()).decode()


@pytest.mark.parametrize("url", [DELIVERIES, EVENTS, "/api/v1/tenants/", "/api/v1/event-types/"])
@pytest.mark.parametrize("cursor", ["garbage", "%%%", _cursor("not-a-number"), _cursor("-5"),
                                    base64.b64encode(b"o=abc").decode(), _cursor("a\u0000b")])
def test_bad_cursors_are_400(platform, acme, url, cursor):
    response = platform.get(url, {"cursor": cursor})
    assert response.status_code == 400 and "cursor" in response.json(), response.content


def test_out_of_range_number_cursor_is_400(platform, acme):
    for position in ["9" * 40, "1.5"]:
        response = platform.get(DELIVERIES, {"cursor": _cursor(position)})
        assert response.status_code == 400 and "cursor" in response.json()


def test_bad_attempt_cursor_and_limits_are_400(platform, acme_traffic):
    endpoint, _ = acme_traffic
    url = f"/api/v1/tenants/acme/endpoints/{endpoint.pk}/attempts/"
    assert "cursor" in platform.get(url, {"cursor": _cursor("last tuesday")}).json()
    for limit in ["0", "101", "-1", "ten", "1e3"]:
        response = platform.get(DELIVERIES, {"limit": limit})
        assert response.status_code == 400 and "limit" in response.json()


@override_settings(WEBHOOKS_MAX_PAYLOAD_BYTES=1000)
def test_oversized_payload_limit_follows_the_setting(platform, acme, invoice_paid_type):
    response = platform.post(EVENTS, {"event_type": "invoice.paid", "data": {"x": "y" * 2000}}, format="json")
    assert response.status_code == 400 and "1000" in response.json()["data"][0]


def test_endpoint_attempts_of_unknown_endpoint_is_404(platform, acme):
    assert platform.get("/api/v1/tenants/acme/endpoints/ep_01ARZ3NDEKTSV4RRFFQ69G5FAV/attempts/").status_code == 404
    assert not Endpoint.objects.exists()


def test_event_data_round_trips(platform, acme, invoice_paid_type):
    data = {"unicode": "é€😀", "nested": {"list": [1, 2.5, None, True]}, "nul": "a\u0000b"}
    event_id = platform.post(EVENTS, {"event_type": "invoice.paid", "data": data}, format="json").json()["id"]
    assert platform.get(f"{EVENTS}{event_id}/").json()["data"] == data
    assert json.loads(Event.objects.get(pk=event_id).body)["data"] == data
