"""The catalogue page: every live event type with its description, JSON Schema and an example payload."""

import json

import pytest
from django.urls import reverse

from delivery.portal.examples import example_payload
from subscriptions.event_types import archive_event_type, ensure_event_type

pytestmark = pytest.mark.django_db


def test_catalogue_lists_live_types_with_schema_and_example(alice, catalogue):
    archive_event_type(ensure_event_type("old.thing", description="Gone"))
    answer = alice.get(reverse("portal:catalogue"))
    page = answer.content.decode()
    assert "invoice.paid" in page and "An invoice was paid." in page and "call.ended" in page
    assert "old.thing" not in page
    [paid] = [t for t in answer.context["event_types"] if t["name"] == "invoice.paid"]
    assert json.loads(paid["schema"])["properties"]["amount"] == {"type": "integer"}
    assert json.loads(paid["example"])["data"] == {"invoice": "in_1", "amount": 0}
    assert "JSON Schema" in page and "Example payload" in page


def test_the_example_obeys_the_schema(catalogue):
    import jsonschema

    from subscriptions.models import EventType

    for event_type in EventType.objects.exclude(schema=None):
        jsonschema.validate(example_payload(event_type)["data"], event_type.schema)
