"""``POST /tenants/{uid}/events/batch/``: up to 100 events, all or none."""

import pytest

from delivery.models import Event

pytestmark = pytest.mark.django_db
BATCH = "/api/v1/tenants/acme/events/batch/"


def event(n, **extra):
    return {"event_type": "invoice.paid", "data": {"n": n}, **extra}


def test_answers_202_with_each_event_in_order(platform, acme, invoice_paid_type):
    response = platform.post(BATCH, {"events": [event(0), event(1, idempotency_key="k"), event(2)]}, format="json")
    assert response.status_code == 202, response.json()
    answered = response.json()["events"]
    assert [e["data"]["n"] for e in answered] == [0, 1, 2]
    assert {e["id"] for e in answered} == set(Event.objects.filter(tenant=acme).values_list("id", flat=True))
    again = platform.post(BATCH, {"events": [event(9, idempotency_key="k")]}, format="json")
    assert again.status_code == 202 and again.json()["events"][0]["id"] == answered[1]["id"]
    assert Event.objects.count() == 3


def test_bad_items_are_named_by_index_and_nothing_is_published(platform, acme, invoice_paid_type):
    response = platform.post(BATCH, {"events": [event(0), {"event_type": "no.such", "data": {}}, event(2),
                                                {"event_type": "invoice.paid", "data": [1]}]}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"events.1.event_type", "events.3.data"}, response.json()
    assert not Event.objects.exists()


def test_shape_errors_are_named_by_index(platform, acme, invoice_paid_type):
    response = platform.post(BATCH, {"events": [event(0), {"data": {}}, {"event_type": "invoice.paid", "data": {},
                                                                           "idempotency_key": ""}]}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"events.1.event_type", "events.2.idempotency_key"}, response.json()
    assert not Event.objects.exists()


@pytest.mark.parametrize("body", [{"events": []}, {"events": [event(i) for i in range(101)]}, {"events": "x"}, {}])
def test_empty_too_many_or_not_a_list(platform, acme, invoice_paid_type, body):
    response = platform.post(BATCH, body, format="json")
    assert response.status_code == 400 and "events" in response.json(), response.json()
    assert not Event.objects.exists()


def test_another_tenants_key_cannot_publish(acme_key, globex, invoice_paid_type):
    response = acme_key.post("/api/v1/tenants/globex/events/batch/", {"events": [event(0)]}, format="json")
    assert response.status_code in (403, 404)
    assert not Event.objects.exists()


def test_in_the_openapi_document(platform):
    paths = platform.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    operation = paths["/api/v1/tenants/{tenant_uid}/events/batch/"]["post"]
    assert "202" in operation["responses"] and "400" in operation["responses"]
