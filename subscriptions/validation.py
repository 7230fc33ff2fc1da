"""Rules for names, filters, headers and metadata, shared by Python, REST and admin callers."""

import json
import re

from django.core.exceptions import ValidationError

TENANT_UID = re.compile(r"^[A-Za-z0-9_.\-]{1,128}\Z")
EVENT_TYPE_NAME = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*\Z")
EVENT_TYPE_PATTERN = re.compile(r"^([A-Za-z0-9_\-]+\.)+\*\Z")
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}\Z")
# What ``requests`` refuses to send (its ``check_header_validity``), so a saved header never fails an attempt.
SENDABLE_HEADER_NAME = re.compile(r"^[^:\s][^:\r\n]*\Z")
SENDABLE_HEADER_VALUE = re.compile(r"^\S[^\r\n]*\Z|^\Z")

# Set by the platform or by HTTP itself: framing (lengths, encodings, trailers, Expect/Upgrade), hops and
# proxies.  Custom values for them would be overridden, corrupt the request, or fail every attempt.
RESERVED_HEADERS = {"user-agent", "host", "transfer-encoding", "connection", "expect", "te", "upgrade",
                    "keep-alive", "trailer", "accept-encoding"}
RESERVED_PREFIXES = ("webhook-", "svix-", "content-", "proxy-")
MAX_HEADERS = 20
MAX_HEADER_VALUE = 4096
MAX_METADATA_BYTES = 16 * 1024
MAX_DESCRIPTION = 1024
MAX_JSON_DEPTH = 64  # the REST parser's limit too; far below Python's recursion limit


def validate_each(fields, checks):
    """Run ``checks[name](value)`` for each given field; one ValidationError keyed by every bad field."""
    errors = {}
    for name, value in fields.items():
        try:
            checks[name](value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


def validate_text(value, what, max_length, code="invalid"):
    """A string its column can store: at most ``max_length`` characters and no NUL (PostgreSQL refuses it)."""
    if not isinstance(value, str) or len(value) > max_length:
        raise ValidationError(f"{what} is a string of at most {max_length} characters.", code=code)
    if "\x00" in value:
        raise ValidationError(f"{what} may not contain NUL (\\u0000) characters.", code=code)


def storable_text(value, max_length):
    """Free text the platform writes itself (reasons, errors): NUL removed, cut to its column."""
    return str(value).replace("\x00", "")[:max_length]


def validate_tenant_uid(uid):
    if not isinstance(uid, str) or not TENANT_UID.match(uid):
        raise ValidationError(
            "Tenant ids are 1 to 128 letters, digits, '_', '-' or '.'.", code="invalid_tenant"
        )


def validate_event_type_name(name):
    if not isinstance(name, str) or len(name) > 128 or not EVENT_TYPE_NAME.match(name):
        raise ValidationError(
            f"{name!r} is not a valid event type name: use dot-separated words of letters, "
            "digits, '_' or '-', e.g. 'invoice.paid'.",
            code="invalid_event_type",
        )


def _a(value):
    """What was given instead, as a reader calls it: ``a string ('invoice.*')``, ``a number``."""
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    return {bool: "a boolean", int: "a number", float: "a number", dict: "an object"}.get(type(value), "null")


def validate_event_type_filter(filters):
    """An endpoint's filter: a list of event type names or ``prefix.*`` patterns."""
    if not isinstance(filters, list):
        raise ValidationError(f'event_types must be a list, e.g. ["invoice.paid", "order.*"], not {_a(filters)}.',
                              code="invalid")
    if not all(isinstance(item, str) for item in filters):
        raise ValidationError("event_types must be a list of strings.", code="invalid")
    if len(filters) > 200:
        raise ValidationError("At most 200 event types per endpoint.", code="too_many")
    for item in filters:
        if item.endswith(".*"):
            if not EVENT_TYPE_PATTERN.match(item):
                raise ValidationError(f"{item!r} is not a valid pattern.", code="invalid_pattern")
        else:
            validate_event_type_name(item)


def validate_headers(headers):
    """Custom headers an endpoint adds to every request; they may not forge ours."""
    if not isinstance(headers, dict):
        raise ValidationError("headers must be an object of names to strings.", code="invalid")
    if len(headers) > MAX_HEADERS:
        raise ValidationError(f"At most {MAX_HEADERS} custom headers.", code="too_many")
    for name, value in headers.items():
        if not HEADER_NAME.match(name):
            raise ValidationError(f"{name!r} is not a valid header name.", code="invalid_header")
        lowered = name.lower()
        if lowered in RESERVED_HEADERS or lowered.startswith(RESERVED_PREFIXES):
            raise ValidationError(f"The header {name!r} is set by the platform or by HTTP itself.",
                                  code="reserved")
        _validate_header_value(name, value)


def _validate_header_value(name, value):
    """Only what ``requests`` and ``http.client`` will send: else every attempt would fail."""
    if not isinstance(value, str):
        raise ValidationError(f"The value of {name!r} must be a string.", code="invalid")
    if len(value) > MAX_HEADER_VALUE:
        raise ValidationError(f"The value of {name!r} is too long.", code="too_long")
    if any(ch in value for ch in "\r\n\0") or any(ord(ch) < 32 and ch != "\t" for ch in value):
        raise ValidationError(f"The value of {name!r} has control characters.", code="invalid")
    if value != value.strip(" \t"):
        raise ValidationError(f"The value of {name!r} starts or ends with whitespace.", code="invalid")
    if not _sendable(value):  # HTTP sends header values as Latin-1; anything else fails every attempt
        raise ValidationError(f"The value of {name!r} must be ASCII or Latin-1 text.", code="invalid")
    if not (SENDABLE_HEADER_NAME.match(name) and SENDABLE_HEADER_VALUE.match(value)):
        raise ValidationError(f"The value of {name!r} cannot be sent in an HTTP header.", code="invalid")


def _sendable(value):
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def json_depth(value):
    """How deeply JSON containers nest, without recursion (deep input cannot raise RecursionError here)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list | tuple):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def validate_json_depth(value, what, code="too_deep"):
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValidationError(f"{what} is nested over {MAX_JSON_DEPTH} levels.", code=code)


def _has_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def validate_storable_json(value, what, code="invalid"):
    """PostgreSQL's jsonb cannot hold NUL characters: refuse them up front, not with a database error.

    Depth first: the walks that follow (and json.dumps) recurse.
    """
    validate_json_depth(value, what, code=code)
    if _has_nul(value):
        raise ValidationError(f"{what} may not contain NUL (\\u0000) characters.", code=code)


def validate_metadata(metadata):
    if not isinstance(metadata, dict):
        raise ValidationError("metadata must be a JSON object.", code="invalid")
    validate_storable_json(metadata, "metadata")
    if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        raise ValidationError(f"metadata is over {MAX_METADATA_BYTES} bytes.", code="too_long")


def validate_rate_limit(rate_limit):
    if rate_limit is None:
        return
    if isinstance(rate_limit, bool) or not isinstance(rate_limit, int) or not 1 <= rate_limit <= 100_000:
        raise ValidationError("rate_limit is a whole number of requests per second from 1 to 100000, or null.",
                              code="invalid")


def validate_ordered(ordered):
    if not isinstance(ordered, bool):
        raise ValidationError("ordered is true or false.", code="invalid")
