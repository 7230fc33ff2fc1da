"""Bearer keys: who gets in, what platform and tenant keys may do, listing, creating, revoking keys."""

import pytest
from django.test import override_settings

from subscriptions.api_keys import create_api_key
from subscriptions.models import ApiKey
from tests.api.conftest import client_with

pytestmark = pytest.mark.django_db


def test_no_key_is_401_with_bearer_challenge(anonymous):
    response = anonymous.get("/api/v1/event-types/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer hp_nope", "Bearer", "Bearer a b", "Basic abc", "Bearer \u00e9"])
def test_bad_keys_are_401(header):
    client = client_with(None)
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/event-types/").status_code == 401


def test_revoked_key_stops_working(platform):
    api_key, key = create_api_key(name="short-lived")
    assert client_with(key).get("/api/v1/tenants/").status_code == 200
    assert platform.delete(f"/api/v1/api-keys/{api_key.pk}/").status_code == 204
    assert client_with(key).get("/api/v1/tenants/").status_code == 401
    listed = platform.get(f"/api/v1/api-keys/{api_key.pk}/").json()
    assert listed["revoked"] is True and listed["revoked_at"]


def test_create_key_shows_it_once_and_lists_prefix_only(platform, acme):
    created = platform.post("/api/v1/api-keys/", {"name": "ci", "tenant": "acme"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith("hp_") and body["prefix"] == body["key"][:10]
    assert body["tenant"] == "acme" and body["name"] == "ci"
    assert ApiKey.objects.get(pk=body["id"]).key_hash != body["key"]
    listing = platform.get("/api/v1/api-keys/").json()["results"]
    assert body["id"] in [k["id"] for k in listing]
    assert all("key" not in k and "key_hash" not in k for k in listing)
    assert "key" not in platform.get(f"/api/v1/api-keys/{body['id']}/").json()
    # The key works, for its tenant only.
    tenant_client = client_with(body["key"])
    assert tenant_client.get("/api/v1/tenants/acme/endpoints/").status_code == 200


def test_create_platform_key_and_refuse_unknown_tenant(platform):
    created = platform.post("/api/v1/api-keys/", {"name": "ops"}, format="json").json()
    assert created["tenant"] is None
    assert client_with(created["key"]).get("/api/v1/tenants/").status_code == 200
    response = platform.post("/api/v1/api-keys/", {"tenant": "nobody"}, format="json")
    assert response.status_code == 400 and "tenant" in response.json()
    assert platform.post("/api/v1/api-keys/", {"name": 5 * "x" * 100}, format="json").status_code == 400


def test_tenant_keys_cannot_manage_keys(acme_key, platform):
    other, _ = create_api_key(name="other")
    assert acme_key.get("/api/v1/api-keys/").status_code == 403
    assert acme_key.post("/api/v1/api-keys/", {"name": "x"}, format="json").status_code == 403
    assert acme_key.delete(f"/api/v1/api-keys/{other.pk}/").status_code == 403
    other.refresh_from_db()
    assert other.revoked_at is None
    assert platform.get("/api/v1/api-keys/999999/").status_code == 404
    assert platform.get("/api/v1/api-keys/abc/").status_code == 404


@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"hookplatform": "3/minute"}})
def test_throttle_rate_comes_from_settings(platform):
    statuses = [platform.get("/api/v1/event-types/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert platform.get("/api/v1/event-types/").json()["detail"]


def test_unknown_route_is_json_404(platform):
    response = platform.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json() == {"detail": "No such route."}


@override_settings(REST_FRAMEWORK={
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 1,
    "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
})
def test_a_hosts_own_rest_framework_defaults_do_not_change_the_api(platform, acme):
    """A host mounting the API keeps its defaults for its own views; ours are set on the views."""
    response = platform.get("/api/v1/tenants/")
    assert response.status_code == 200 and "next" in response.json() and "count" not in response.json()
    bad = platform.post("/api/v1/tenants/", b"{", content_type="application/json")
    assert bad.status_code == 400 and bad.json() == {"non_field_errors": [bad.json()["non_field_errors"][0]]}
