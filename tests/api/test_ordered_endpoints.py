"""The endpoint's ``ordered`` field over the API: written, read, refused when not a boolean, documented."""

import pytest

from subscriptions.models import Endpoint

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tenants/acme/endpoints/"


def test_ordered_is_off_by_default_and_set_on_create_and_change(platform, acme):
    plain = platform.post(BASE, {"url": "https://127.0.0.1:8443/plain"}, format="json").json()
    created = platform.post(BASE, {"url": "https://127.0.0.1:8443/line", "ordered": True}, format="json")
    assert created.status_code == 201, created.json()
    assert plain["ordered"] is False and created.json()["ordered"] is True
    assert Endpoint.objects.get(pk=created.json()["id"]).ordered is True

    changed = platform.patch(f"{BASE}{created.json()['id']}/", {"ordered": False}, format="json")

    assert changed.status_code == 200 and changed.json()["ordered"] is False
    assert Endpoint.objects.get(pk=created.json()["id"]).ordered is False


@pytest.mark.parametrize("value", ["sometimes", 2, None, [True]])
def test_ordered_that_is_not_a_boolean_answers_400_naming_it(platform, acme, value):
    response = platform.post(BASE, {"url": "https://127.0.0.1:8443/line", "ordered": value}, format="json")
    assert response.status_code == 400 and "ordered" in response.json()


def test_the_openapi_document_describes_ordered(anonymous):
    document = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    field = document["components"]["schemas"]["Endpoint"]["properties"]["ordered"]
    assert field["type"] == "boolean" and "order" in field["description"]
