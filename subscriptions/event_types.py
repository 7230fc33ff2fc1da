"""The event-type catalogue."""

import jsonschema
from django.core.exceptions import ValidationError

from subscriptions.models import EventType
from subscriptions.validation import (
    MAX_DESCRIPTION,
    validate_event_type_name,
    validate_storable_json,
    validate_text,
)

REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
DATA_KEYWORDS = ("const", "enum", "default", "examples")  # their values are data, not schemas


def _external_refs(schema):
    """References that point outside the schema itself (anything but ``#...``), found without recursion."""
    found, stack = [], [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in REF_KEYWORDS and isinstance(value, str) and not value.startswith("#"):
                    found.append(value)
                elif key not in DATA_KEYWORDS:
                    stack.append(value)
    return found


def validate_schema(schema):
    """A JSON Schema that needs nothing from outside: publish never retrieves a ``$ref``."""
    if schema is None:
        return
    if not isinstance(schema, dict):
        raise ValidationError("schema must be a JSON Schema object.", code="invalid_schema")
    validate_storable_json(schema, "schema", code="invalid_schema")
    external = _external_refs(schema)
    if external:
        raise ValidationError(
            f"schema refers to {external[0]!r}: only references inside the schema ('#/$defs/...') are "
            "allowed; nothing is ever fetched, so put the referenced schema under $defs.", code="invalid_schema")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValidationError(f"schema is not a valid JSON Schema: {exc.message}", code="invalid_schema")
    except RecursionError:
        raise ValidationError("schema is nested too deeply.", code="invalid_schema")


def _validate(name, description, schema):
    validate_event_type_name(name)
    validate_text(description, "description", MAX_DESCRIPTION, code="too_long")
    validate_schema(schema)


def ensure_event_type(name, *, description="", schema=None):
    """Idempotent: create the type, or update the description and schema of an existing one."""
    _validate(name, description, schema)
    event_type, created = EventType.objects.get_or_create(
        name=name, defaults={"description": description, "schema": schema}
    )
    if not created and (event_type.description != description or event_type.schema != schema):
        event_type.description = description
        event_type.schema = schema
        event_type.save(update_fields=["description", "schema", "updated_at"])
    return event_type


def create_event_type(name, *, description="", schema=None, archived=False):
    _validate(name, description, schema)
    if EventType.objects.filter(name=name).exists():
        raise ValidationError({"name": f"The event type {name!r} exists already."}, code="unique")
    return EventType.objects.create(name=name, description=description, schema=schema,
                                    archived=archived)


def update_event_type(event_type, **changes):
    description = changes.get("description", event_type.description)
    schema = changes.get("schema", event_type.schema)
    _validate(event_type.name, description, schema)
    for field in ("description", "schema", "archived"):
        if field in changes:
            setattr(event_type, field, changes[field])
    event_type.save()
    return event_type


def archive_event_type(event_type):
    """Archived types take no new events; past events and deliveries stay readable."""
    event_type.archived = True
    event_type.save(update_fields=["archived", "updated_at"])
    return event_type


def live_event_type(name):
    """The catalogue entry events of ``name`` are validated against."""
    event_type = EventType.objects.filter(name=name).first() if isinstance(name, str) else None
    if event_type is None:
        raise ValidationError(f"Unknown event type {name!r}.", code="unknown_event_type")
    if event_type.archived:
        raise ValidationError(f"The event type {name!r} is archived.", code="archived_event_type")
    return event_type
