"""L3: a test event obeys the payload-size limit and its event type's schema, as publish does."""

import pytest

from delivery.models import Event
from subscriptions import create_endpoint, ensure_event_type

SCHEMA = {"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}}}


@pytest.fixture
def endpoint(acme):
    ensure_event_type("order.placed", schema=SCHEMA)
    return create_endpoint(acme, url="https://127.0.0.1:9/hook")


def _test_event(client, endpoint, data):
    return client.post(f"/api/v1/tenants/acme/endpoints/{endpoint.pk}/test/",
                       {"event_type": "order.placed", "data": data}, format="json")


def test_a_test_event_over_the_payload_limit_is_refused(acme_key, endpoint, settings):
    """L3: a tenant key sends a 300 kB test event (under the request limit): 400 on data, nothing stored."""
    response = _test_event(acme_key, endpoint, {"order_id": "o_1", "padding": "x" * 300_000})
    assert response.status_code == 400 and "data" in response.json(), response.json()
    assert "limit" in str(response.json())
    assert not Event.objects.exists()


def test_a_test_event_must_match_the_schema(acme_key, endpoint):
    """L3: data that publish would refuse for this type is refused as a test event too."""
    response = _test_event(acme_key, endpoint, {"order_id": 42})
    assert response.status_code == 400 and "schema" in str(response.json()["data"]), response.json()
    assert _test_event(acme_key, endpoint, {"order_id": "o_1"}).status_code == 202
    assert Event.objects.count() == 1
