"""The event-type catalogue as a tenant reads it: description, JSON Schema and an example payload."""

import json

from delivery.portal.access import portal_view
from delivery.portal.examples import example_payload
from delivery.portal.rendering import render_page
from subscriptions.models import EventType


def _entry(event_type):
    return {"name": event_type.name, "description": event_type.description,
            "schema": json.dumps(event_type.schema, indent=2) if event_type.schema else "",
            "example": json.dumps(example_payload(event_type), indent=2)}


@portal_view
def catalogue(request):
    """Every live type (the catalogue is a few dozen rows; archived types take no new events)."""
    types = EventType.objects.filter(archived=False).order_by("name")
    return render_page(request, "portal/catalogue.html",
                       {"section": "catalogue", "event_types": [_entry(t) for t in types]})
