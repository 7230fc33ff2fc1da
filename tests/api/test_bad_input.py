"""Malformed bodies get a 400 (or 415) naming the problem, never a 500."""

import pytest
from django.test import override_settings

from subscriptions.models import Tenant

pytestmark = pytest.mark.django_db


def post_raw(client, url, body, content_type="application/json"):
    return client.generic("POST", url, body, content_type=content_type)


@pytest.mark.parametrize("body", [
    b"{", b"not json", b"[1, 2]", b"null", b"42", b'"text"', b"", b"   ",
    b'{"uid": NaN}', b'{"uid": "a\\ud800"}', b"\xff\xfe",
    b'{"uid": "ok", "metadata": ' + b"[" * 200 + b"]" * 200 + b"}",
])
def test_malformed_json_is_400(platform, body):
    response = post_raw(platform, "/api/v1/tenants/", body)
    assert response.status_code == 400, (body, response.content)
    assert all(isinstance(m, list) for m in response.json().values())
    assert not Tenant.objects.exists()


def test_deep_nesting_inside_a_valid_body_is_400(platform):
    body = b'{"uid": "ok", "metadata": {"a": ' + b"[" * 70 + b"]" * 70 + b"}}"
    response = post_raw(platform, "/api/v1/tenants/", body)
    assert response.status_code == 400 and "nested" in str(response.json())


def test_other_media_types_are_415(platform):
    response = post_raw(platform, "/api/v1/tenants/", "uid=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.json()["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversized_body_is_400(platform, acme):
    body = b'{"event_type": "x.y", "data": {"blob": "' + b"x" * 2000 + b'"}}'
    response = post_raw(platform, "/api/v1/tenants/acme/events/", body)
    assert response.status_code == 400 and "1000 bytes" in str(response.json())


@pytest.mark.parametrize("body", [{"uid": ["list"]}, {"uid": {"a": 1}}, {"uid": None},
                                  {"uid": "ok", "name": ["x"]}, {"uid": "ok", "metadata": None}])
def test_wrong_types_are_400_naming_the_field(platform, body):
    response = platform.post("/api/v1/tenants/", body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) <= {"uid", "name", "metadata"}


def test_method_not_allowed_is_405_json(platform):
    response = platform.put("/api/v1/tenants/", {}, format="json")
    assert response.status_code == 405 and response.json()["detail"]
