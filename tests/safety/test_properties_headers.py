"""Property tests of an endpoint's free-form fields: headers (no injection, no forging of ours, always
sendable), and the size limits of headers, metadata and descriptions."""

import json

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from delivery import wire
from subscriptions.endpoints import validate_endpoint_fields
from subscriptions.validation import (
    MAX_DESCRIPTION,
    MAX_HEADER_VALUE,
    MAX_HEADERS,
    MAX_METADATA_BYTES,
    validate_headers,
)
from tests.safety.properties import PROPERTY

RESERVED = ["content-type", "user-agent", "host", "content-length", "transfer-encoding", "connection"]
TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
BREAKERS = st.sampled_from(["\r", "\n", "\0", "\r\n", "\r\n\r\n"])

names = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=40).filter(
    lambda n: n.lower() not in RESERVED and not n.lower().startswith("webhook-"))
values = st.text(max_size=200)


@st.composite
def with_breaker(draw, base):
    """``base`` with a CR, LF or NUL put somewhere inside."""
    text = draw(base)
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(BREAKERS) + text[at:]


@st.composite
def any_case(draw, word):
    return "".join(draw(st.sampled_from([c.lower(), c.upper()])) for c in word)


def refused(headers):
    with pytest.raises(ValidationError):
        validate_headers(headers)
    with pytest.raises(ValidationError) as exc:
        validate_endpoint_fields({"headers": headers})
    assert "headers" in exc.value.message_dict


@PROPERTY
@given(name=names, value=with_breaker(values))
def test_cr_lf_or_nul_in_a_value_is_refused(tried, name, value):
    tried()
    refused({name: value})


@PROPERTY
@given(name=with_breaker(names), value=values)
def test_cr_lf_or_nul_in_a_name_is_refused(tried, name, value):
    tried()
    refused({name: value})


@PROPERTY
@given(name=st.sampled_from(RESERVED).flatmap(any_case), value=st.text(alphabet="abc123", max_size=20))
def test_reserved_names_are_refused_in_any_case(tried, name, value):
    tried()
    refused({name: value})


@PROPERTY
@given(name=st.text(alphabet=TOKEN_CHARS, max_size=20).flatmap(lambda rest: any_case("webhook-" + rest)),
       value=st.text(alphabet="abc123", max_size=20))
def test_no_webhook_header_can_be_set_in_any_case(tried, name, value):
    tried()
    refused({name: value})


@PROPERTY
@example(headers={"X-Team": "caf\u20ac"})  # found by this test: accepted, then unsendable
@given(headers=st.dictionaries(names | st.text(max_size=30), st.text(max_size=300), max_size=5))
def test_whatever_is_accepted_goes_on_the_wire_intact_and_cannot_forge_ours(tried, headers):
    """Accepted headers hold no line breaks, encode as HTTP sends them, and never replace ours."""
    tried()
    try:
        validate_headers(headers)
    except ValidationError:
        return
    request = wire.build_request(url="http://127.0.0.1:9/", msg_id="msg_1", body="{}",
                                   secrets=["whsec_" + "A" * 44], custom_headers=headers)
    for name, value in request.headers.items():
        assert not any(ch in name + value for ch in "\r\n\0")
        name.encode("ascii")
        value.encode("latin-1")  # http.client's encoding of header values
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == wire.USER_AGENT


@PROPERTY
@given(count=st.integers(MAX_HEADERS + 1, 3 * MAX_HEADERS), length=st.integers(0, 3 * MAX_HEADER_VALUE))
def test_too_many_or_too_long_headers_are_refused(tried, count, length):
    tried()
    refused({f"X-H{n}": "v" for n in range(count)})
    if length > MAX_HEADER_VALUE:
        refused({"X-Long": "v" * length})
    else:
        validate_headers({"X-Long": "v" * length})


@PROPERTY
@given(metadata=st.dictionaries(st.text(max_size=20), st.text(max_size=4000), max_size=12),
       description=st.text(max_size=2 * MAX_DESCRIPTION))
def test_metadata_and_descriptions_are_size_limited(tried, metadata, description):
    """Accepted exactly when under the limits (metadata measured as JSON; no NUL, which PostgreSQL cannot hold)."""
    tried()
    expected = set()
    if len(json.dumps(metadata)) > MAX_METADATA_BYTES or any("\0" in k + v for k, v in metadata.items()):
        expected.add("metadata")
    if len(description) > MAX_DESCRIPTION or "\0" in description:  # L17: NUL is refused too
        expected.add("description")
    try:
        validate_endpoint_fields({"metadata": metadata, "description": description})
        refused_fields = set()
    except ValidationError as exc:
        refused_fields = set(exc.message_dict)
    assert refused_fields == expected
