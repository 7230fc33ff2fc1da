"""The content filter language (``subscriptions.filters``): what matches, what is refused and how it is named."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from subscriptions import filters
from tests.safety.properties import PROPERTY

PAYMENT = {"amount": 1500, "currency": "EUR", "customer": {"country": "DE", "tags": ["vip", "b2b"]},
           "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}], "note": None, "paid": True,
           "ref": "inv_2026_42"}


def check(document, event_type="invoice.paid", data=PAYMENT):
    filters.validate(document)
    return filters.matches(document, event_type, data)


@pytest.mark.parametrize("document,expected", [
    (None, True),
    ({}, True),
    ({"data.amount": {"$gte": 1000}, "data.currency": {"$in": ["EUR", "USD"]}}, True),  # the issue's example
    ({"data.amount": {"$gte": 1000}, "data.currency": {"$in": ["GBP"]}}, False),  # several keys: all of them
    ({"type": "invoice.paid"}, True),  # a bare value is $eq
    ({"type": "invoice.voided"}, False),
    ({"type": {"$startsWith": "invoice."}}, True),
    ({"type": {"$endsWith": ".paid"}}, True),
    ({"data.customer.country": "DE"}, True),
    ({"data.customer.country": {"$ne": "DE"}}, False),
    ({"data.items.1.sku": "B-7"}, True),  # list index
    ({"data.items.2.sku": {"$exists": True}}, False),  # past the list's end
    ({"data.items.0.qty": {"$gt": 1, "$lt": 3}}, True),  # several operators: all of them
    ({"data.amount": {"$gt": 1500}}, False),
    ({"data.amount": {"$gte": 1500.0}}, True),  # 1500 == 1500.0
    ({"data.amount": {"$lte": 1499}}, False),
    ({"data.amount": {"$lt": "2000"}}, False),  # a number and a string do not compare
    ({"data.ref": {"$gt": "inv_2026"}}, True),  # strings compare as strings
    ({"data.paid": 1}, False),  # true is not 1
    ({"data.paid": True}, True),
    ({"data.note": None}, True),  # null is a value
    ({"data.note": {"$exists": True}}, True),
    ({"data.missing": {"$exists": False}}, True),
    ({"data.missing": None}, False),  # missing is not null
    ({"data.missing": {"$ne": 1}}, True),  # $ne and $nin match a missing path
    ({"data.missing": {"$nin": [1]}}, True),
    ({"data.missing": {"$gt": 0}}, False),
    ({"data.currency": {"$nin": ["USD", "GBP"]}}, True),
    ({"data.customer.tags": {"$contains": "vip"}}, True),  # a list holding the value
    ({"data.customer.tags": {"$contains": "v"}}, False),
    ({"data.ref": {"$contains": "2026"}}, True),  # a substring
    ({"data.amount": {"$contains": 1}}, False),
    ({"data.customer": {"$eq": {"country": "DE", "tags": ["vip", "b2b"]}}}, True),  # whole objects
    ({"data.customer.tags": ["b2b", "vip"]}, False),  # lists in order
    ({"data.amount.value": 1}, False),  # a number has no keys
    ({"data.items.x": 1}, False),  # a list has no named keys
    ({"$or": [{"data.currency": "USD"}, {"data.amount": {"$gt": 1000}}]}, True),
    ({"$or": [{"data.currency": "USD"}, {"data.amount": {"$gt": 9000}}]}, False),
    ({"$and": [{"data.currency": "EUR"}, {"type": "invoice.paid"}]}, True),
    ({"$not": {"data.currency": "EUR"}}, False),
    ({"data.currency": {"$not": {"$in": ["USD"]}}}, True),
    ({"$not": {"$or": [{"data.paid": False}, {"data.amount": {"$lt": 10}}]}, "type": "invoice.paid"}, True),
    ({"data": {"$exists": True}}, True),
])
def test_what_matches(document, expected):
    assert check(document) is expected


@pytest.mark.parametrize("document,named", [
    ([{"type": "x"}], "filter must be a JSON object"),
    ("data.amount > 5", "filter must be a JSON object"),
    ({"data.amount": {"$gtt": 5}}, "data.amount.$gtt: unknown operator '$gtt'"),
    ({"$nor": [{"type": "x"}]}, "$nor: unknown operator '$nor'"),
    ({"amount": 5}, "amount: a path is 'type', or 'data'"),
    ({"data..amount": 5}, "data..amount: a path is"),
    ({"type.name": "x"}, "type.name: 'type' is a string"),
    ({"$or": []}, "$or: expected a non-empty list"),
    ({"$and": {"type": "x"}}, "$and: expected a non-empty list"),
    ({"$or": [{"type": "x"}, {"data.a": {"$in": 5}}]}, "$or[1].data.a.$in: expected a list"),
    ({"$or": [{"type": "x"}, "type"]}, "$or[1]: expected a filter object"),
    ({"data.a": {"$gt": [1]}}, "data.a.$gt: expected a number or a string"),
    ({"data.a": {"$gt": True}}, "data.a.$gt: expected a number or a string"),
    ({"data.a": {"$exists": 1}}, "data.a.$exists: expected true or false"),
    ({"data.a": {"$startsWith": 1}}, "data.a.$startsWith: expected a string"),
    ({"data.a": {"$contains": {"x": 1}}}, "data.a.$contains: expected a string, a number"),
    ({"data.a": {"$not": 5}}, "data.a.$not: expected an object of operators"),
    ({"data.a": {"$not": {"$bad": 5}}}, "data.a.$not.$bad: unknown operator"),
    ({"data.a": {}}, "data.a: expected operators"),
    ({"data.a": {"country": "DE"}}, "data.a.country: compare with an object through {'$eq'"),
    ({"data.a": {"$in": list(range(101))}}, "data.a.$in: expected a list of at most 100"),
    ({"data.a": "x" * 5000}, "filter is over 4096 bytes"),
    ({"data.a": float("nan")}, "no NaN"),
    ({"$or": [{f"data.f{i}": i} for i in range(65)]}, "over 64 conditions"),
    ({"data." + ".".join(["k"] * 16): 1}, "at most 256 characters and 16 segments"),
])
def test_what_is_refused_names_the_path_or_operator(document, named):
    with pytest.raises(ValidationError) as refused:
        filters.validate(document)
    assert named in refused.value.messages[0], refused.value.messages


def test_depth_is_bounded_without_recursion_errors():
    deep = {"type": "x"}
    for _ in range(5000):
        deep = {"$not": deep}
    with pytest.raises(ValidationError, match="nested over 12 levels"):
        filters.validate(deep)
    assert filters.matches(deep, "x", {}) is False  # saved around validation: matches nothing, raises nothing


def test_a_filter_saved_around_validation_matches_nothing_and_never_raises():
    assert filters.matches({"data.a": {"$gt": [1]}}, "x", {"a": 1}) is False
    assert filters.matches({"$or": 5}, "x", {}) is False


any_text = st.text(max_size=8)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(any_text, inner, max_size=3), max_leaves=10)
paths = st.lists(st.sampled_from(["a", "b", "0", "1", "c"]), min_size=0, max_size=3).map(
    lambda keys: ".".join(["data", *keys]))
operators = st.sampled_from(filters.OPERATORS)
conditions = json_values | st.dictionaries(operators, json_values, min_size=1, max_size=2)
documents = st.recursive(
    st.dictionaries(paths | st.just("type"), conditions, max_size=3),
    lambda inner: st.dictionaries(st.sampled_from(["$and", "$or"]), st.lists(inner, max_size=3), max_size=1)
    | st.builds(lambda d: {"$not": d}, inner) | inner,
    max_leaves=6)


@PROPERTY
@given(document=documents | json_values, data=st.dictionaries(st.sampled_from(["a", "b", "c"]), json_values))
def test_any_document_is_refused_or_matches_without_raising(document, data):
    try:
        filters.validate(document)
    except ValidationError as exc:
        assert exc.code == "invalid_filter" and exc.messages[0]
        return
    assert filters.matches(document, "invoice.paid", data) in (True, False)


@PROPERTY
@given(data=st.dictionaries(st.sampled_from(["a", "b"]), json_values), value=json_values)
def test_eq_and_ne_are_opposites_for_present_paths(data, value):
    document = {"data.a": value} if not isinstance(value, dict) else {"data.a": {"$eq": value}}
    try:
        filters.validate(document)
    except ValidationError:
        return  # an oversized value
    assert filters.matches(document, "t", data) is not filters.matches({"data.a": {"$ne": value}}, "t", data) \
        or "a" not in data
