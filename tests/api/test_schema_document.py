"""The OpenAPI document: served, Bearer declared, every body typed, errors documented."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(anonymous):
    response = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_bearer_scheme_on_every_operation(document):
    scheme = document["components"]["securitySchemes"]["BearerApiKey"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    for path, method, operation in operations(document):
        assert {"BearerApiKey": []} in operation["security"], (path, method)


def test_every_body_is_described(document):
    schemas = document["components"]["schemas"]
    for path, method, operation in operations(document):
        bodies = [operation.get("requestBody", {})] + list(operation["responses"].values())
        for body in bodies:
            for media in body.get("content", {}).values():
                ref = media["schema"].get("$ref", "")
                schema = schemas[ref.rsplit("/", 1)[-1]] if ref else media["schema"]
                assert schema.get("properties") or schema.get("additionalProperties") or schema.get("enum"), \
                    (path, method, schema)
        assert {"400", "401", "404", "429"} <= set(operation["responses"]), (path, method)


def test_cursor_pagination_is_documented(document):
    parameters = {p["name"] for p in document["paths"]["/api/v1/tenants/{tenant_uid}/deliveries/"]["get"]["parameters"]}
    assert {"cursor", "limit", "endpoint", "event", "status"} <= parameters


def test_docs_page(anonymous):
    assert anonymous.get("/api/docs/").status_code == 200
