"""M1: an event type's JSON Schema never makes the platform fetch anything: no remote or file `$ref`."""

import pytest
from django.core.exceptions import ValidationError

from delivery import publish
from subscriptions import ensure_event_type
from subscriptions.models import EventType
from tests.receiver import RawServer

SCHEMA_BODY = b'{"type": "object"}'


@pytest.fixture
def schema_host():
    """A server on 127.0.0.1 that serves a schema to whoever asks, and records each request."""
    server = RawServer(lambda conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (len(SCHEMA_BODY), SCHEMA_BODY))).start()
    yield server
    server.stop()


def referring(url):
    return [
        {"$ref": url},
        {"type": "object", "properties": {"amount": {"$ref": url}}},
        {"$defs": {"x": {"allOf": [{"$ref": url}]}}, "$ref": "#/$defs/x"},
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "$dynamicRef": url},
    ]


def test_a_schema_with_a_remote_ref_is_refused_when_saved_through_the_api(platform, schema_host):
    for schema in [*referring(schema_host.url("/s.json")), {"$ref": "file:///etc/passwd"}]:
        response = platform.post("/api/v1/event-types/", {"name": "invoice.paid", "schema": schema}, format="json")
        assert response.status_code == 400, response.content
        assert "only references inside the schema" in response.json()["schema"][0]
    assert schema_host.requests == []


def test_a_schema_with_a_remote_ref_is_refused_in_python(db, schema_host):
    for schema in referring(schema_host.url("/s.json")):
        with pytest.raises(ValidationError, match="only references inside the schema"):
            ensure_event_type("invoice.paid", schema=schema)
    assert schema_host.requests == []


@pytest.mark.parametrize("index", range(4))
def test_publish_never_fetches_the_ref_of_a_schema_stored_before(db, schema_host, index):
    """M1: publish fetched `$ref` with urlopen at every event (SSRF past the platform's guard, no timeout)."""
    EventType.objects.create(name="invoice.paid", schema=referring(schema_host.url("/s.json"))[index])
    with pytest.raises(ValidationError, match="not inside the schema"):
        publish("invoice.paid", {"amount": 1}, tenant="acme")
    assert schema_host.requests == []


def test_local_refs_still_validate(db):
    schema = {"type": "object", "$defs": {"amount": {"type": "integer"}},
              "properties": {"amount": {"$ref": "#/$defs/amount"}}}
    ensure_event_type("invoice.paid", schema=schema)
    publish("invoice.paid", {"amount": 1}, tenant="acme")
    with pytest.raises(ValidationError, match="amount"):
        publish("invoice.paid", {"amount": "one"}, tenant="acme")


def test_a_self_referring_local_schema_validates_nested_data(db):
    ensure_event_type("tree.grew", schema={"type": "object", "additionalProperties": {"$ref": "#"}})
    data = {}
    for _ in range(60):
        data = {"a": data}
    publish("tree.grew", data, tenant="acme")
