"""Content filters: which events of its types an endpoint wants, by what the event says.

A filter is a JSON object over the event's ``type`` and ``data``, addressed by
dot paths (``data.customer.country``; a segment of digits indexes a list,
``data.items.0.sku``).  Each key is a path or a combinator; several keys must
all hold::

    {"data.amount": {"$gte": 1000}, "data.currency": {"$in": ["EUR", "USD"]}}
    {"$or": [{"type": "invoice.paid"}, {"data.total": {"$gt": 0}}]}

A path's value is an operator object or a bare value (which means ``$eq``).
Comparisons are JSON's: ``1`` equals ``1.0`` but not ``true``; ``$gt`` and its
kin compare two numbers or two strings, anything else does not match.  A
missing path matches only ``$exists: false``, ``$ne`` and ``$nin``.

Pure: no database, no settings.  ``validate`` runs when a filter is saved;
``matches`` runs in the fan-out, once per endpoint and event, and never raises.
"""

import json

from django.core.exceptions import ValidationError

from subscriptions.validation import json_depth

COMPARISONS = ("$gt", "$gte", "$lt", "$lte")
OPERATORS = ("$eq", "$ne", *COMPARISONS, "$in", "$nin", "$exists", "$startsWith", "$endsWith", "$contains", "$not")
COMBINATORS = ("$and", "$or", "$not")
ROOTS = ("type", "data")
MAX_BYTES = 4096
MAX_DEPTH = 12  # JSON nesting of the whole document
MAX_CONDITIONS = 64
MAX_LIST = 100
MAX_PATH = 256
MAX_SEGMENTS = 16
MISSING = object()


def _error(where, problem):
    raise ValidationError(f"{where}: {problem}" if where else problem, code="invalid_filter")


def validate(document):
    """Refuse a filter that is not one: the message names the bad path or operator.

    ``None`` (every event of the endpoint's types) is a filter too.
    """
    if document is None:
        return
    if not isinstance(document, dict):
        _error("", "filter must be a JSON object (or null for every event).")
    if json_depth(document) > MAX_DEPTH:
        _error("", f"filter is nested over {MAX_DEPTH} levels.")
    try:
        size = len(json.dumps(document, ensure_ascii=False, allow_nan=False).encode())
    except ValueError:
        _error("", "filter must be JSON (no NaN or infinity).")
    if size > MAX_BYTES:
        _error("", f"filter is over {MAX_BYTES} bytes.")
    if _document(document, "") > MAX_CONDITIONS:
        _error("", f"filter has over {MAX_CONDITIONS} conditions.")


def _document(document, where):
    """Check a filter object; returns how many conditions it holds."""
    if not isinstance(document, dict):
        _error(where, "expected a filter object.")
    count = 0
    for key, value in document.items():
        here = f"{where}.{key}" if where else key
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                _error(here, "expected a non-empty list of filter objects.")
            count += sum(_document(item, f"{here}[{i}]") for i, item in enumerate(value))
        elif key == "$not":
            count += _document(value, here)
        elif key.startswith("$"):
            _error(here, f"unknown operator {key!r}; combine with {', '.join(COMBINATORS)}.")
        else:
            _path(key, where)
            count += _condition(value, here)
    return count


def _path(path, where):
    here = f"{where}.{path}" if where else path
    segments = path.split(".")
    if len(path) > MAX_PATH or len(segments) > MAX_SEGMENTS:
        _error(here, f"a path has at most {MAX_PATH} characters and {MAX_SEGMENTS} segments.")
    if segments[0] not in ROOTS or "" in segments:
        _error(here, "a path is 'type', or 'data' followed by dot-separated keys (e.g. 'data.customer.country').")
    if segments[0] == "type" and len(segments) > 1:
        _error(here, "'type' is a string: it has no keys.")


def _condition(value, where):
    """A path's value: a bare value (``$eq``) or an object of operators, all of which must hold."""
    if not isinstance(value, dict):
        return 1
    if not value:
        _error(where, "expected operators such as {'$eq': ...}; an empty object matches nothing useful.")
    for operator, operand in value.items():
        here = f"{where}.{operator}"
        if not operator.startswith("$"):
            _error(here, "compare with an object through {'$eq': {...}}; an operator object has only $ keys.")
        if operator not in OPERATORS:
            _error(here, f"unknown operator {operator!r}; use one of {', '.join(OPERATORS)}.")
        _operand(operator, operand, here)
    return len(value)


def _operand(operator, operand, where):
    if operator in COMPARISONS and not (_is_number(operand) or isinstance(operand, str)):
        _error(where, "expected a number or a string.")
    elif operator in ("$in", "$nin") and not (isinstance(operand, list) and len(operand) <= MAX_LIST):
        _error(where, f"expected a list of at most {MAX_LIST} values.")
    elif operator == "$exists" and not isinstance(operand, bool):
        _error(where, "expected true or false.")
    elif operator in ("$startsWith", "$endsWith") and not isinstance(operand, str):
        _error(where, "expected a string.")
    elif operator == "$contains" and isinstance(operand, dict | list):
        _error(where, "expected a string, a number, true, false or null.")
    elif operator == "$not":
        if not isinstance(operand, dict) or not operand:
            _error(where, "expected an object of operators, e.g. {'$not': {'$in': [...]}}.")
        _condition(operand, where)


def matches(document, event_type, data):
    """Whether an event passes the filter; ``None`` or ``{}`` passes every event.

    Never raises: a filter written around ``validate`` (a raw UPDATE) matches
    nothing rather than fail the fan-out of every event with it.
    """
    if not document:
        return True
    try:
        return _holds(document, {"type": event_type, "data": data})
    except Exception:  # one bad row must not break a fan-out batch
        return False


def _holds(document, event):
    for key, value in document.items():
        if key == "$and":
            ok = all(_holds(item, event) for item in value)
        elif key == "$or":
            ok = any(_holds(item, event) for item in value)
        elif key == "$not":
            ok = not _holds(value, event)
        else:
            ok = _satisfies(_resolve(event, key), value)
        if not ok:
            return False
    return True


def _resolve(event, path):
    value = event
    for segment in path.split("."):
        if type(value) is dict:
            value = value.get(segment, MISSING)
            if value is MISSING:
                return MISSING
        elif type(value) is list and segment.isdigit() and segment.isascii() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return MISSING
    return value


def _satisfies(value, condition):
    """A bare value is ``$eq``; an operator object holds when each of its operators does."""
    if type(condition) is not dict:
        return value is not MISSING and _same(value, condition)
    for operator, operand in condition.items():
        if not _OPERATIONS[operator](value, operand):
            return False
    return True


def _eq(value, operand):
    return value is not MISSING and _same(value, operand)


def _in(value, operand):
    return value is not MISSING and any(_same(value, item) for item in operand)


def _compare(test):
    """``$gt`` and its kin: two numbers or two strings, else no match (a missing path included)."""
    def compare(value, operand):
        if _is_number(value) and _is_number(operand) or type(value) is str and type(operand) is str:
            return test(value, operand)
        return False
    return compare


def _contains(value, operand):
    if type(value) is str:
        return type(operand) is str and operand in value
    return type(value) is list and any(_same(item, operand) for item in value)


_OPERATIONS = {
    "$eq": _eq,
    "$ne": lambda value, operand: not _eq(value, operand),  # a missing path too
    "$in": _in,
    "$nin": lambda value, operand: not _in(value, operand),  # a missing path too
    "$gt": _compare(lambda a, b: a > b),
    "$gte": _compare(lambda a, b: a >= b),
    "$lt": _compare(lambda a, b: a < b),
    "$lte": _compare(lambda a, b: a <= b),
    "$exists": lambda value, operand: (value is not MISSING) == operand,
    "$startsWith": lambda value, operand: type(value) is str and value.startswith(operand),
    "$endsWith": lambda value, operand: type(value) is str and value.endswith(operand),
    "$contains": _contains,
    "$not": lambda value, operand: not _satisfies(value, operand),
}


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a, b):
    """JSON equality: 1 == 1.0, but true is not 1; objects and lists compared member by member."""
    if type(a) is type(b) and type(a) in (str, int, float):
        return a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b
