"""The OpenAPI document: error bodies on every operation, the schema view's own settings, our ``extend_schema``.

The settings ride on the schema view (``custom_settings``), so a host that
mounts ``hookplatform.api_urls`` gets the same document whatever its own
``SPECTACULAR_SETTINGS``; and every operation's schema class is
drf-spectacular's, whatever the host's ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema as spectacular_extend_schema


def extend_schema(**kwargs):
    """drf-spectacular's ``extend_schema`` built on its own ``AutoSchema``.

    Why: on a view method it subclasses the method's schema, or else DRF's
    ``DEFAULT_SCHEMA_CLASS``, which in a host is DRF's own AutoSchema (the
    document then fails with "Incompatible AutoSchema").  Giving the method
    ours first keeps the API independent of the host's DRF defaults.
    """
    decorate = spectacular_extend_schema(**kwargs)

    def on_our_schema(function):
        if callable(function) and not isinstance(function, type) and not hasattr(function, "cls"):
            if not hasattr(function, "kwargs"):
                function.kwargs = {}
            function.kwargs.setdefault("schema", AutoSchema)
        return decorate(function)

    return on_our_schema


FIELD_ERRORS = {
    "type": "object",
    "description": "Each bad field (or `non_field_errors`, `cursor`, `limit`) with its messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
DETAIL_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
ERRORS = {
    "400": ("Bad input: each bad field named with its messages.", "FieldErrors"),
    "401": ("No API key, or an invalid or revoked one.", "Error"),
    "403": ("This key may not do this (tenants, API keys and catalogue writes need a platform key).",
            "Error"),
    "404": ("Not found, or not visible to this key.", "Error"),
    "429": ("Too many requests for this key; see Retry-After.", "Error"),
}
BODY_ERRORS = {"415": ("Send `application/json`.", "Error")}
WRITE_METHODS = {"post", "put", "patch"}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: declare the error answers every operation can give."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["FieldErrors"] = FIELD_ERRORS
    schemas["Error"] = DETAIL_ERROR
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            extra = dict(ERRORS, **(BODY_ERRORS if method in WRITE_METHODS else {}))
            responses = operation.setdefault("responses", {})
            for code, (description, component) in extra.items():
                responses.setdefault(code, {
                    "description": description,
                    "content": {"application/json": {"schema": _ref(component)}},
                })
    return result


def close_request_bodies(result, generator, request, public):
    """Postprocessing hook: request bodies take only their declared fields (``KnownFieldsOnly``)."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = media.get("schema", {}).get("$ref", "")
            schema = result["components"]["schemas"].get(ref.rsplit("/", 1)[-1]) if ref else None
            if method in WRITE_METHODS and schema and schema.get("type") == "object":
                schema["additionalProperties"] = False
    return result


SCHEMA_SETTINGS = {
    "TITLE": "hookplatform API",
    "DESCRIPTION": (
        "Outbound webhooks: event types, tenants, endpoints, events, deliveries and attempts.\n\n"
        "Authenticate with `Authorization: Bearer <api key>`. Lists are newest first and paginated "
        "with an opaque `cursor` (follow `next`/`previous`) and `limit` (1 to 100, default 50). "
        "Errors: 400 names each bad field; 404 for anything missing or not visible to the key."
    ),
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "subscriptions.api.schema.add_error_responses",
        "subscriptions.api.schema.close_request_bodies",
    ],
}
