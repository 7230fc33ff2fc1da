"""Names, filters, custom headers and metadata: the rules every caller shares."""

import pytest
from django.core.exceptions import ValidationError

from subscriptions.validation import (
    MAX_HEADERS,
    MAX_METADATA_BYTES,
    validate_event_type_filter,
    validate_event_type_name,
    validate_headers,
    validate_metadata,
    validate_rate_limit,
    validate_tenant_uid,
)


@pytest.mark.parametrize("uid", ["org_42", "a", "A-b.c_9", "x" * 128])
def test_tenant_uid_ok(uid):
    validate_tenant_uid(uid)


@pytest.mark.parametrize("uid", ["", "x" * 129, "org 42", "org/42", "órg", 42, None, "a\nb", "org_42\n"])
def test_tenant_uid_bad(uid):
    with pytest.raises(ValidationError):
        validate_tenant_uid(uid)


@pytest.mark.parametrize("name", ["invoice.paid", "invoice", "a.b.c.d", "user-created", "v2_thing.x"])
def test_event_type_name_ok(name):
    validate_event_type_name(name)


@pytest.mark.parametrize("name", ["", ".invoice", "invoice.", "invoice..paid", "invoice.*", "in voice",
                                  "invoice/paid", "x" * 129, None, 3, "invoice.paid\n"])
def test_event_type_name_bad(name):
    with pytest.raises(ValidationError, match="not a valid event type name"):
        validate_event_type_name(name)


@pytest.mark.parametrize("filters", [[], ["invoice.paid"], ["invoice.*", "a.b.*", "call.ended"]])
def test_filter_ok(filters):
    validate_event_type_filter(filters)


@pytest.mark.parametrize("filters, message", [
    ("invoice.*", "must be a list, e.g. .* not a string"),
    ([1], "list of strings"),
    (["*"], "not a valid event type name"),
    (["invoice*"], "not a valid event type name"),
    (["invoice.*\n"], "not a valid event type name"),
    ([".*"], "not a valid pattern"),
    (["invoice..*"], "not a valid pattern"),
    (["in voice.*"], "not a valid pattern"),
    (["a"] * 201, "At most 200"),
])
def test_filter_bad(filters, message):
    with pytest.raises(ValidationError, match=message):
        validate_event_type_filter(filters)


def test_headers_ok():
    validate_headers({"X-Api-Version": "2", "Authorization": "Bearer abc", "x-tab": "a\tb"})
    validate_headers({})


@pytest.mark.parametrize("headers, message", [
    ({"X-Evil": "a\r\nX-Injected: 1"}, "control characters"),
    ({"X-Evil": "a\nb"}, "control characters"),
    ({"X-Evil": "a\rb"}, "control characters"),
    ({"X-Evil": "a\x00b"}, "control characters"),
    ({"X-Evil": "a\x07b"}, "control characters"),
    ({"X-Evil\r\nHost": "x"}, "not a valid header name"),
    ({"X Evil": "x"}, "not a valid header name"),
    ({"X-Evil\n": "x"}, "not a valid header name"),
    ({"": "x"}, "not a valid header name"),
    ({"webhook-signature": "v1,forged"}, "set by the platform"),
    ({"Webhook-Id": "msg_forged"}, "set by the platform"),
    ({"WEBHOOK-TIMESTAMP": "1"}, "set by the platform"),
    ({"Content-Type": "text/plain"}, "set by the platform"),
    ({"User-Agent": "me"}, "set by the platform"),
    ({"Host": "internal"}, "set by the platform"),
    ({"Content-Length": "1"}, "set by the platform"),
    ({"Transfer-Encoding": "chunked"}, "set by the platform"),
    ({"X-Number": 1}, "must be a string"),
    ({"X-Long": "a" * 4097}, "too long"),
    ({f"X-{i}": "v" for i in range(MAX_HEADERS + 1)}, "At most"),
    (["X-A", "b"], "must be an object"),
])
def test_headers_bad(headers, message):
    with pytest.raises(ValidationError, match=message):
        validate_headers(headers)


def test_metadata_size():
    validate_metadata({"plan": "pro"})
    validate_metadata({"blob": "x" * (MAX_METADATA_BYTES - 20)})
    with pytest.raises(ValidationError, match="over"):
        validate_metadata({"blob": "x" * MAX_METADATA_BYTES})
    with pytest.raises(ValidationError, match="JSON object"):
        validate_metadata(["not", "an", "object"])


@pytest.mark.parametrize("value", [None, 1, 100, 100_000])
def test_rate_limit_ok(value):
    validate_rate_limit(value)


@pytest.mark.parametrize("value", [0, -1, 100_001, 1.5, "10", True])
def test_rate_limit_bad(value):
    with pytest.raises(ValidationError):
        validate_rate_limit(value)
