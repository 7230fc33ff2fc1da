"""``/api/v1/`` lists the API's routes; every route's ``Allow`` names each method once."""

import pytest
from django.test import Client


@pytest.fixture
def client(db):
    return Client()


def test_the_root_lists_every_route_and_the_schema(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200 and response["content-type"] == "application/json"
    body = response.json()
    base = "http://testserver/api/v1/"
    assert body["routes"] == {
        "event-types/": base + "event-types/",
        "tenants/": base + "tenants/",
        "tenants/{tenant_uid}/endpoints/": base + "tenants/{tenant_uid}/endpoints/",
        "tenants/{tenant_uid}/events/": base + "tenants/{tenant_uid}/events/",
        "tenants/{tenant_uid}/deliveries/": base + "tenants/{tenant_uid}/deliveries/",
        "api-keys/": base + "api-keys/",
    }
    assert body["schema"] == "http://testserver/api/schema/" and body["docs"] == "http://testserver/api/docs/"


def test_the_root_is_not_an_operation_of_the_document(client):
    assert "/api/v1/" not in client.get("/api/schema/?format=json").json()["paths"]


@pytest.mark.parametrize("path", ["/api/", "/api/v1/", "/api/v1/nothing-here/", "/api/v1/event-types/",
                                  "/api/v1/event-types/invoice.paid/"])
def test_allow_names_each_method_once(client, path):
    allowed = [method.strip() for method in client.options(path)["Allow"].split(",")]
    assert len(allowed) == len(set(allowed)) and "OPTIONS" in allowed, allowed


def test_unknown_routes_still_answer_a_json_404(client):
    response = client.post("/api/v1/nothing-here/", data="{}", content_type="application/json")
    assert response.status_code == 404 and response.json() == {"detail": "No such route."}
