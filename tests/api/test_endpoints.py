"""Endpoints of a tenant: CRUD, the secret, rotation, test events, recovery, stats."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from delivery.models import Delivery, EndpointState, Event
from subscriptions.models import Endpoint, EndpointSecret
from subscriptions.secrets import active_secrets, reveal_secret

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tenants/acme/endpoints/"


def create(client, **fields):
    body = {"url": "https://127.0.0.1:8443/hooks"} | fields
    return client.post(BASE, body, format="json")


def test_create_shows_the_secret_once(platform, acme, invoice_paid_type):
    response = create(platform, event_types=["invoice.*"], headers={"X-Team": "billing"}, rate_limit=5,
                      metadata={"owner": "ops"}, description="Billing")
    assert response.status_code == 201, response.json()
    body = response.json()
    endpoint = Endpoint.objects.get(pk=body["id"])
    assert body["secret"] == reveal_secret(endpoint) and body["secret"].startswith("whsec_")
    assert endpoint.tenant == acme and endpoint.event_types == ["invoice.*"] and endpoint.rate_limit == 5
    assert "secret" not in platform.get(f"{BASE}{endpoint.pk}/").json()
    assert [e["id"] for e in platform.get(BASE).json()["results"]] == [endpoint.pk]


def test_create_disabled(platform, acme):
    body = create(platform, disabled=True).json()
    assert body["disabled"] is True and body["disabled_reason"]


@pytest.mark.parametrize("fields,field", [
    ({"url": "ftp://example.com/x"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"url": 12}, "url"),
    ({"event_types": "invoice.paid"}, "event_types"),
    ({"event_types": ["no.such.type"]}, "event_types"),
    ({"event_types": ["bad pattern*"]}, "event_types"),
    ({"headers": {"Bad Name": "x"}}, "headers"),
    ({"headers": {"webhook-id": "forged"}}, "headers"),
    ({"headers": {"X-Ok": "line\r\nbreak"}}, "headers"),
    ({"headers": {"X-Ok": 5}}, "headers"),
    ({"headers": ["X-Ok"]}, "headers"),
    ({"rate_limit": 0}, "rate_limit"),
    ({"rate_limit": "fast"}, "rate_limit"),
    ({"metadata": "text"}, "metadata"),
    ({"description": "d" * 2000}, "description"),
    ({"disabled": "perhaps"}, "disabled"),
])
def test_create_validation(platform, acme, fields, field):
    response = create(platform, **fields)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Endpoint.objects.exists()


def test_create_needs_url(platform, acme):
    response = platform.post(BASE, {}, format="json")
    assert response.status_code == 400 and "url" in response.json()


def test_patch_fields_and_disable_enable(platform, acme, invoice_paid_type):
    endpoint_id = create(platform).json()["id"]
    url = f"{BASE}{endpoint_id}/"
    changed = platform.patch(url, {"description": "new", "event_types": ["invoice.paid"], "rate_limit": None},
                             format="json")
    assert changed.status_code == 200 and changed.json()["event_types"] == ["invoice.paid"]
    disabled = platform.patch(url, {"disabled": True}, format="json").json()
    assert disabled["disabled"] is True and disabled["disabled_reason"] and disabled["disabled_at"]
    enabled = platform.patch(url, {"disabled": False}, format="json").json()
    assert enabled["disabled"] is False and enabled["disabled_reason"] == ""
    bad = platform.patch(url, {"url": "gopher://x", "headers": {"Host": "x"}}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"url", "headers"}
    assert Endpoint.objects.get(pk=endpoint_id).url == "https://127.0.0.1:8443/hooks"
    read_only = platform.patch(url, {"id": "ep_X", "disabled_reason": "mine"}, format="json")
    assert read_only.status_code == 400
    assert read_only.json() == {"id": ["This field is read-only."], "disabled_reason": ["This field is read-only."]}
    assert Endpoint.objects.get(pk=endpoint_id).disabled_reason == ""


def test_delete_removes_the_endpoint_and_its_deliveries(platform, acme_traffic):
    endpoint, deliveries = acme_traffic
    assert platform.delete(f"{BASE}{endpoint.pk}/").status_code == 204
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert not Delivery.objects.filter(endpoint_id=endpoint.pk).exists()
    assert platform.get(f"{BASE}{endpoint.pk}/").status_code == 404


def test_reveal_and_rotate(platform, acme):
    body = create(platform).json()
    url = f"{BASE}{body['id']}/secret/"
    assert platform.get(url).json()["key"] == body["secret"]
    rotated = platform.post(f"{url}rotate/")
    assert rotated.status_code == 200
    new_key = rotated.json()["key"]
    assert new_key != body["secret"] and platform.get(url).json()["key"] == new_key
    endpoint = Endpoint.objects.get(pk=body["id"])
    assert set(active_secrets(endpoint)) == {new_key, body["secret"]}
    old = next(row for row in EndpointSecret.objects.all() if row.reveal() == body["secret"])
    assert old.expires_at > timezone.now()


def test_send_test_event(platform, acme, invoice_paid_type):
    endpoint_id = create(platform).json()["id"]
    response = platform.post(f"{BASE}{endpoint_id}/test/", {"event_type": "invoice.paid"}, format="json")
    assert response.status_code == 202, response.json()
    event = Event.objects.get(pk=response.json()["id"])
    assert list(event.deliveries.values_list("endpoint_id", flat=True)) == [endpoint_id]
    with_data = platform.post(f"{BASE}{endpoint_id}/test/", {"event_type": "invoice.paid", "data": {"a": 1}},
                              format="json")
    assert with_data.json()["data"] == {"a": 1}


@pytest.mark.parametrize("body,field", [
    ({}, "event_type"),
    ({"event_type": "no.such"}, "event_type"),
    ({"event_type": "invoice.paid", "data": [1]}, "data"),
])
def test_send_test_event_validation(platform, acme, invoice_paid_type, body, field):
    endpoint_id = create(platform).json()["id"]
    response = platform.post(f"{BASE}{endpoint_id}/test/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Event.objects.exists()


def test_recover_resends_failed_deliveries(platform, acme_traffic):
    endpoint, deliveries = acme_traffic
    since = deliveries[1].created_at.isoformat()
    response = platform.post(f"{BASE}{endpoint.pk}/recover/", {"since": since}, format="json")
    assert response.status_code == 202 and response.json()["count"] == 2
    statuses = dict(Delivery.objects.filter(endpoint=endpoint).values_list("id", "status"))
    # Due now, for the dispatcher's bounded batches (M7: one statement in the request).
    assert statuses == {deliveries[0].pk: "failed", deliveries[1].pk: "retrying", deliveries[2].pk: "retrying"}


@pytest.mark.parametrize("body", [{}, {"since": "yesterday"}, {"since": "2999-01-01T00:00:00Z"}, {"since": 5}])
def test_recover_validation(platform, acme_traffic, body):
    endpoint, _ = acme_traffic
    response = platform.post(f"{BASE}{endpoint.pk}/recover/", body, format="json")
    assert response.status_code == 400 and "since" in response.json(), response.json()
    assert not Delivery.objects.exclude(status="failed").exists()


def test_stats(platform, acme_traffic):
    endpoint, _ = acme_traffic
    body = platform.get(f"{BASE}{endpoint.pk}/stats/").json()
    assert body["deliveries"]["failed"] == 3 and body["deliveries"]["total"] == 3
    assert body["attempts"] == {"total": 6, "succeeded": 0, "failed": 6}
    assert body["latency_ms"] == {"p50": 10, "p90": 20, "p95": 20, "p99": 20, "max": 20}
    later = platform.get(f"{BASE}{endpoint.pk}/stats/", {"since": "2999-01-01T00:00:00Z"}).json()
    assert later["attempts"]["total"] == 0 and later["latency_ms"]["p50"] is None
    bad = platform.get(f"{BASE}{endpoint.pk}/stats/", {"since": "soon"})
    assert bad.status_code == 400 and "since" in bad.json()


def test_unknown_endpoint_and_tenant_are_404(platform, acme):
    assert platform.get(f"{BASE}ep_01ARZ3NDEKTSV4RRFFQ69G5FAV/").status_code == 404
    assert platform.get(f"{BASE}nonsense/").status_code == 404
    assert platform.get("/api/v1/tenants/nobody/endpoints/").status_code == 404
    assert platform.post("/api/v1/tenants/nobody/endpoints/", {"url": "https://127.0.0.1/x"},
                         format="json").status_code == 404


def test_health_fields_are_null_for_an_endpoint_without_a_send_state(platform, acme):
    """An endpoint never sent to has no ``EndpointState`` row: both fields are present and null."""
    endpoint_id = create(platform).json()["id"]
    assert not EndpointState.objects.filter(pk=endpoint_id).exists()
    for body in (platform.get(f"{BASE}{endpoint_id}/").json(), platform.get(BASE).json()["results"][0]):
        assert body["failing_since"] is None and body["last_success_at"] is None


def test_health_fields_come_from_the_send_state_and_listing_costs_the_same_for_1_or_5(platform, acme):
    since, last = timezone.now() - timedelta(hours=2), timezone.now() - timedelta(hours=3)
    first = create(platform).json()["id"]
    EndpointState.objects.create(endpoint_id=first, failing_since=since, last_success_at=last)
    body = platform.get(f"{BASE}{first}/").json()
    assert parse_datetime(body["failing_since"]) == since and parse_datetime(body["last_success_at"]) == last

    def queries_to_list():
        with CaptureQueriesContext(connection) as queries:
            assert platform.get(BASE).status_code == 200
        return len(queries)

    one = queries_to_list()
    for _ in range(4):
        EndpointState.objects.create(endpoint_id=create(platform).json()["id"], failing_since=since)
    assert queries_to_list() == one  # the send state comes with the endpoints, not one query each
