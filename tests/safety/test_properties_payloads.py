"""Property tests of ``publish``'s input checks: bad data is a ValidationError, never a crash or a row."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from delivery import publish
from delivery.models import Event
from delivery.wire import render_body
from subscriptions import create_event_type, ensure_event_type
from tests.safety.properties import PROPERTY

LIMIT = 2048
SCHEMA = {"type": "object", "properties": {"amount": {"type": "integer"}}, "required": ["amount"]}

# Any text, lone surrogates included: a host may pass one (json.loads of "\\ud800" makes one).
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=50)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | any_text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(any_text, inner, max_size=4), max_leaves=12)
not_objects = json_scalars | st.lists(json_values, max_size=4) | st.tuples(json_values) | st.sets(st.integers())


def not_an_integer(value):
    """As JSON Schema counts: 1.0 is an integer, True is not."""
    if isinstance(value, bool):
        return True
    return not isinstance(value, int) and not (isinstance(value, float) and value.is_integer())


@pytest.fixture
def event_types(db, settings):
    settings.WEBHOOKS_MAX_PAYLOAD_BYTES = LIMIT
    ensure_event_type("load.tick")
    create_event_type("invoice.paid", schema=SCHEMA)


def refused(event_type, data, code=None):
    before = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        publish(event_type, data, tenant="org_props")
    assert Event.objects.count() == before
    if code:
        assert exc.value.code == code, exc.value


@PROPERTY
@given(data=not_objects)
def test_anything_but_an_object_is_refused(tried, event_types, data):
    tried()
    refused("load.tick", data, "invalid_data")


@PROPERTY
@example(data={"a": "\ud800"})  # found by this test: UnicodeEncodeError instead of a ValidationError
@example(data={"x": float("nan")})
@given(data=st.dictionaries(any_text, json_values, max_size=6))
def test_any_object_is_published_or_refused_with_a_validation_error(tried, event_types, data):
    tried()
    try:
        event = publish("load.tick", data, tenant="org_props")
    except ValidationError:
        return
    assert len(event.body.encode()) <= LIMIT
    assert json.loads(event.body)["data"] == json.loads(json.dumps(data))


@PROPERTY
@given(size=st.integers(0, 2 * LIMIT), filler=st.sampled_from(["a", "\u00e9", "\u20ac", "\U0001f600"]))
def test_payload_over_the_limit_is_refused_and_under_it_accepted(tried, event_types, size, filler):
    """The limit counts the UTF-8 bytes of the body that would be sent."""
    tried()
    data = {"s": filler * (size // len(filler.encode()))}
    body_size = len(render_body("load.tick", data, timezone.now()).encode())
    if body_size > LIMIT:
        refused("load.tick", data, "too_large")
    else:
        assert publish("load.tick", data, tenant="org_props").pk


@PROPERTY
@given(amount=json_values.filter(not_an_integer),
       extra=st.dictionaries(st.text(max_size=10).filter(lambda k: k != "amount"), json_scalars, max_size=3),
       missing=st.booleans())
def test_data_against_the_schema_is_refused(tried, event_types, amount, extra, missing):
    tried()
    data = extra if missing else {**extra, "amount": amount}
    try:
        render_body("invoice.paid", data, timezone.now())
    except ValidationError:
        return  # not even JSON: refused before the schema (covered above)
    refused("invoice.paid", data, "schema_mismatch")


@PROPERTY
@given(amount=st.integers(-(2**53), 2**53))
def test_data_matching_the_schema_is_accepted(tried, event_types, amount):
    tried()
    assert publish("invoice.paid", {"amount": amount}, tenant="org_props").pk
