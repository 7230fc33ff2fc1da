"""Polling endpoints through the Python API: kind and URL agree, and the kind stays what it was made."""

import pytest
from django.core.exceptions import ValidationError

from subscriptions import create_endpoint
from subscriptions.endpoints import update_endpoint


def errors_of(call, *args, **kwargs):
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.message_dict


def test_create_checks_kind_against_url(db):
    assert "url" in errors_of(create_endpoint, "org_1", kind="polling", url="https://example.com/h")
    assert "url" in errors_of(create_endpoint, "org_1", kind="http")
    assert "url" in errors_of(create_endpoint, "org_1")
    assert "kind" in errors_of(create_endpoint, "org_1", kind="smoke-signal", url="https://example.com/h")
    assert "headers" in errors_of(create_endpoint, "org_1", kind="polling", headers={"X-Key": "v"})
    endpoint = create_endpoint("org_1", kind="polling")
    assert endpoint.kind == "polling" and endpoint.url == ""
    assert create_endpoint("org_1", url="https://example.com/h").kind == "http"


def test_update_keeps_the_kind(db):
    polling = create_endpoint("org_1", kind="polling")
    assert "kind" in errors_of(update_endpoint, polling, kind="http")
    assert "url" in errors_of(update_endpoint, polling, url="https://example.com/h")
    assert "headers" in errors_of(update_endpoint, polling, headers={"X-Key": "v"})
    pushed = create_endpoint("org_1", url="https://example.com/h")
    assert "kind" in errors_of(update_endpoint, pushed, kind="polling")
    assert update_endpoint(polling, description="pulled").description == "pulled"
