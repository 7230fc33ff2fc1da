"""Every write route answers 400 naming a field it does not take, instead of silently dropping it.

The routes come from the OpenAPI document itself, so a route added later is
covered without touching this file.
"""

import pytest

from subscriptions.api_keys import create_api_key
from subscriptions.models import Endpoint
from tests.api.conftest import make_traffic

BOGUS = "filtr"


def write_operations(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return [(path, method, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in ("post", "patch")]


@pytest.fixture
def path_values(acme, invoice_paid_type):
    endpoint, deliveries = make_traffic(acme)
    api_key, _ = create_api_key(name="other")
    return {"tenant_uid": "acme", "uid": "acme", "name": "invoice.paid", "endpoints": endpoint.pk,
            "deliveries": deliveries[0].pk, "api-keys": api_key.pk}


def concrete(path, values):
    """``/api/v1/tenants/{tenant_uid}/endpoints/{id}/...`` with real objects in it."""
    parts = path.split("/")
    for position, part in enumerate(parts):
        if part.startswith("{"):
            name = part[1:-1]
            parts[position] = str(values[parts[position - 1]] if name == "id" else values[name])
    return "/".join(parts)


def test_every_write_route_names_an_unknown_field(platform, path_values):
    operations = write_operations(platform)
    assert len(operations) >= 10  # the catalogue, tenants, endpoints and their actions, events, deliveries, keys
    for path, method, _ in operations:
        url = concrete(path, path_values)
        response = getattr(platform, method)(url, {BOGUS: 1}, format="json")
        assert response.status_code == 400, (method, path, response.status_code, response.content)
        assert response.json()[BOGUS] == ["Unknown field."], (method, path)


def test_every_request_body_is_closed_in_the_document(platform):
    document = platform.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, method, operation in write_operations(platform):
        media = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if media:
            ref = media["schema"]["$ref"].rsplit("/", 1)[-1]
            assert document["components"]["schemas"][ref]["additionalProperties"] is False, (method, path)


def test_an_endpoint_with_a_misspelt_field_is_not_created(platform, acme, invoice_paid_type):
    response = platform.post("/api/v1/tenants/acme/endpoints/", {
        "url": "https://127.0.0.1:8443/hooks", "event_types": ["invoice.paid"], "description": "x",
        "rate_limt": 5}, format="json")
    assert response.status_code == 400 and response.json() == {"rate_limt": ["Unknown field."]}
    assert not Endpoint.objects.exists()


def test_object_valued_fields_still_take_any_keys(platform, acme, invoice_paid_type):
    """Only a body's own fields are checked: object-valued ones (data, metadata) take any keys."""
    published = platform.post("/api/v1/tenants/acme/events/",
                              {"event_type": "invoice.paid", "data": {"anything": 1}}, format="json")
    assert published.status_code == 202, published.json()
