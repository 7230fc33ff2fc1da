"""JSON-valued fields with their shape documented (no blank "object" in the schema).

They accept any JSON; the domain validators decide what is allowed, so the
rule lives in one place and the 400 names the field.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field({"type": "object", "additionalProperties": True,
                      "description": "Free-form JSON object (at most 16 kB), yours to use."})
class MetadataField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                      "description": "Extra HTTP headers sent with every request: name to value. "
                                     "They cannot override content-type, user-agent or webhook-*."})
class HeadersField(serializers.JSONField):
    pass


@extend_schema_field({"type": "array", "items": {"type": "string"},
                      "description": "Event type names or `prefix.*` patterns; empty means every type."})
class EventTypeFilterField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True,
                      "description": "A JSON Schema the `data` of published events must match, or null."})
class JsonSchemaField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": True,
                      "description": "The event's data: any JSON object."})
class EventDataField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True,
                      "description": "Content filter over the event's `type` and `data` (dot paths such as "
                                     "`data.customer.country`, list indexes allowed): a bare value means `$eq`; "
                                     "operators `$eq $ne $gt $gte $lt $lte $in $nin $exists $startsWith $endsWith "
                                     "$contains`, combined with `$and $or $not`; several keys must all hold. "
                                     "At most 4 kB. Null: every event of the endpoint's types.",
                      "example": {"data.amount": {"$gte": 1000}, "data.currency": {"$in": ["EUR", "USD"]}}})
class ContentFilterField(serializers.JSONField):
    pass
