"""An example payload for an event type, drawn from its JSON Schema: what a receiver would get."""

import json
from datetime import UTC, datetime

from delivery.wire import render_body

EXAMPLE_TIME = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
MAX_DEPTH = 6
SCALARS = {"string": "string", "integer": 0, "number": 0, "boolean": True, "null": None}


def example_data(schema, depth=0):
    """A value the schema accepts in simple cases: its own example, const, enum or default first."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return {}
    for key in ("examples", "enum"):
        if isinstance(schema.get(key), list) and schema[key]:
            return schema[key][0]
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "array":
        return [example_data(schema.get("items"), depth + 1)] if isinstance(schema.get("items"), dict) else []
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {name: example_data(sub, depth + 1) for name, sub in properties.items() if isinstance(sub, dict)}
    return SCALARS.get(kind, {}) if depth else {}


def example_payload(event_type):
    """The whole body as sent (type, timestamp, data) for ``event_type``'s schema."""
    data = example_data(event_type.schema)
    return json.loads(render_body(event_type.name, data if isinstance(data, dict) else {}, EXAMPLE_TIME))
