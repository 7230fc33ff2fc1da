"""Event types and tenants: the platform's catalogue."""

import pytest

from delivery import publish
from subscriptions.models import EventType, Tenant

pytestmark = pytest.mark.django_db

SCHEMA = {"type": "object", "required": ["invoice_id"], "properties": {"invoice_id": {"type": "string"}}}


def test_event_type_lifecycle(platform, acme):
    created = platform.post("/api/v1/event-types/", {"name": "invoice.paid", "description": "Paid",
                                                     "schema": SCHEMA}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["name"] == "invoice.paid" and created.json()["archived"] is False
    assert platform.get("/api/v1/event-types/invoice.paid/").json()["schema"] == SCHEMA

    changed = platform.patch("/api/v1/event-types/invoice.paid/", {"description": "An invoice was paid"},
                             format="json")
    assert changed.status_code == 200 and changed.json()["description"] == "An invoice was paid"

    event = publish("invoice.paid", {"invoice_id": "in_1"}, tenant=acme)
    assert platform.delete("/api/v1/event-types/invoice.paid/").status_code == 204
    assert EventType.objects.get(name="invoice.paid").archived is True
    # Archived, not deleted: past events stay readable, new ones are refused.
    assert platform.get(f"/api/v1/tenants/acme/events/{event.id}/").status_code == 200
    refused = platform.post("/api/v1/tenants/acme/events/", {"event_type": "invoice.paid",
                                                             "data": {"invoice_id": "in_2"}}, format="json")
    assert refused.status_code == 400 and "archived" in refused.json()["event_type"][0]
    revived = platform.patch("/api/v1/event-types/invoice.paid/", {"archived": False}, format="json")
    assert revived.json()["archived"] is False


def test_event_type_list_newest_first(platform):
    for name in ["a.one", "b.two", "c.three"]:
        platform.post("/api/v1/event-types/", {"name": name}, format="json")
    names = [t["name"] for t in platform.get("/api/v1/event-types/").json()["results"]]
    assert names == ["c.three", "b.two", "a.one"]


@pytest.mark.parametrize("body,field", [
    ({"name": "bad name!"}, "name"),
    ({"name": ""}, "name"),
    ({}, "name"),
    ({"name": "x.y", "schema": {"type": "nonsense"}}, "schema"),
    ({"name": "x.y", "schema": [1]}, "schema"),
    ({"name": "x.y", "schema": {"type": "object", "title": "a\u0000b"}}, "schema"),
    ({"name": "x.y", "description": "d" * 5000}, "description"),
    ({"name": "x.y", "archived": "maybe"}, "archived"),
])
def test_event_type_validation(platform, body, field):
    response = platform.post("/api/v1/event-types/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not EventType.objects.exists()


def test_event_type_duplicate_and_patch_errors(platform):
    platform.post("/api/v1/event-types/", {"name": "x.y"}, format="json")
    duplicate = platform.post("/api/v1/event-types/", {"name": "x.y"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    bad = platform.patch("/api/v1/event-types/x.y/", {"schema": {"type": 5}}, format="json")
    assert bad.status_code == 400 and "schema" in bad.json()
    assert platform.get("/api/v1/event-types/no.such/").status_code == 404
    assert platform.get("/api/v1/event-types/bad%20name/").status_code == 404


def test_tenant_keys_read_but_do_not_write_the_catalogue(platform, acme_key):
    platform.post("/api/v1/event-types/", {"name": "x.y"}, format="json")
    assert acme_key.get("/api/v1/event-types/").status_code == 200
    assert acme_key.get("/api/v1/event-types/x.y/").status_code == 200
    assert acme_key.post("/api/v1/event-types/", {"name": "a.b"}, format="json").status_code == 403
    assert acme_key.patch("/api/v1/event-types/x.y/", {"description": "z"}, format="json").status_code == 403
    assert acme_key.delete("/api/v1/event-types/x.y/").status_code == 403
    assert EventType.objects.get(name="x.y").description == "" and not EventType.objects.get().archived


def test_tenant_lifecycle(platform):
    created = platform.post("/api/v1/tenants/", {"uid": "org_42", "name": "Org 42", "metadata": {"plan": "pro"}},
                            format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["uid"] == "org_42"
    assert platform.get("/api/v1/tenants/org_42/").json()["metadata"] == {"plan": "pro"}
    renamed = platform.patch("/api/v1/tenants/org_42/", {"name": "Renamed", "uid": "other"}, format="json")
    assert renamed.status_code == 400 and renamed.json() == {"uid": ["This field is read-only."]}
    changed = platform.patch("/api/v1/tenants/org_42/", {"name": "Renamed"}, format="json")
    assert changed.json()["name"] == "Renamed" and changed.json()["uid"] == "org_42"
    assert [t["uid"] for t in platform.get("/api/v1/tenants/").json()["results"]] == ["org_42"]
    assert platform.delete("/api/v1/tenants/org_42/").status_code == 204
    assert not Tenant.objects.filter(uid="org_42").exists()
    assert platform.get("/api/v1/tenants/org_42/").status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"uid": "has space"}, "uid"),
    ({"uid": "x" * 129}, "uid"),
    ({"name": "no uid"}, "uid"),
    ({"uid": "ok", "metadata": [1, 2]}, "metadata"),
    ({"uid": "ok", "metadata": {"k": "a\u0000"}}, "metadata"),
    ({"uid": "ok", "metadata": {"big": "x" * 20000}}, "metadata"),
    ({"uid": "ok", "name": "n" * 300}, "name"),
    ({"uid": "ok", "contact_email": "not-an-email"}, "contact_email"),
])
def test_tenant_validation(platform, body, field):
    response = platform.post("/api/v1/tenants/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Tenant.objects.exists()


def test_tenant_duplicate_and_patch_errors(platform, acme):
    assert platform.post("/api/v1/tenants/", {"uid": "acme"}, format="json").status_code == 400
    bad = platform.patch("/api/v1/tenants/acme/", {"metadata": "text"}, format="json")
    assert bad.status_code == 400 and "metadata" in bad.json()


def test_tenant_routes_need_a_platform_key(acme_key, acme, globex):
    assert acme_key.get("/api/v1/tenants/").status_code == 403
    assert acme_key.post("/api/v1/tenants/", {"uid": "new"}, format="json").status_code == 403
    assert acme_key.get("/api/v1/tenants/acme/").status_code == 403
    assert acme_key.patch("/api/v1/tenants/acme/", {"name": "x"}, format="json").status_code == 403
    assert acme_key.delete("/api/v1/tenants/acme/").status_code == 403
    # Another tenant's: 404, as if it did not exist.
    assert acme_key.get("/api/v1/tenants/globex/").status_code == 404
    assert acme_key.delete("/api/v1/tenants/globex/").status_code == 404
    assert Tenant.objects.filter(uid__in=["acme", "globex"]).count() == 2
    assert not Tenant.objects.filter(uid="new").exists()
