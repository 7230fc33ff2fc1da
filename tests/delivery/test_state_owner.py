"""Only ``delivery/states.py`` writes a delivery's status, lease and next attempt.

The scan reads the source of the shipped packages (migrations aside) and
names every place that assigns one of those columns (``row.status = ...``,
``setattr(row, "status", ...)``), passes one to a write
(``.update(status=...)``, ``.create(...)``, ``Delivery(...)``, a values dict
of ``update_returning`` or ``update_where``) or lists one in ``bulk_update``.  Tests and
benchmarks build rows of their own and are not scanned.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("delivery", "subscriptions", "hookplatform")
OWNER = Path("delivery/states.py")
COLUMNS = {"status", "lease_token", "lease_expires_at", "next_attempt_at", "send_started_at"}
WRITES = {"update", "create", "get_or_create", "update_or_create", "update_returning", "update_where", "bulk_update",
          "Delivery"}


def _name(func):
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _targets(node):
    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
        yield from target.elts if isinstance(target, ast.Tuple | ast.List) else [target]


def _dict_keys(node):
    return {k.value for k in node.keys if isinstance(k, ast.Constant)} & COLUMNS


def _written_in_call(call, named_dicts):
    """The columns a call writes: as keywords, as keys of a dict argument (or of a dict named in the
    module), as names in a field list."""
    name = _name(call.func)
    if name == "setattr" and len(call.args) > 1 and isinstance(call.args[1], ast.Constant):
        return {call.args[1].value} & COLUMNS
    if name not in WRITES:
        return set()
    found = {kw.arg for kw in call.keywords if kw.arg in COLUMNS}
    for value in [*call.args, *(kw.value for kw in call.keywords)]:
        if isinstance(value, ast.Dict):
            found |= _dict_keys(value)
        elif isinstance(value, ast.Name):
            found |= named_dicts.get(value.id, set())
        elif isinstance(value, ast.List | ast.Tuple) and name == "bulk_update":
            found |= {e.value for e in value.elts if isinstance(e, ast.Constant)} & COLUMNS
    return found


def _assigns_a_column(node, in_delivery):
    """``row.status = ...``; ``self.status = ...`` only in the model's methods (elsewhere ``self`` is no row)."""
    return [t.attr for t in _targets(node) if isinstance(t, ast.Attribute) and t.attr in COLUMNS
            and (in_delivery or not (isinstance(t.value, ast.Name) and t.value.id == "self"))]


def state_writes(source, filename="<source>"):
    """``(line, column)`` of every write of a delivery's state columns in ``source``."""
    tree = ast.parse(source, filename)
    in_delivery = {id(node) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef) and cls.name == "Delivery"
                   for node in ast.walk(cls)}
    named_dicts = {t.id: _dict_keys(node.value) for node in ast.walk(tree)
                   if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                   for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            found += [(node.lineno, column) for column in _assigns_a_column(node, id(node) in in_delivery)]
        elif isinstance(node, ast.Call):
            found += [(node.lineno, column) for column in sorted(_written_in_call(node, named_dicts))]
    return found


def shipped_modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts:
                yield relative


def test_no_module_but_states_writes_a_deliverys_state():
    offences = [f"{path}:{line} writes {column}"
                for path in shipped_modules() if path != OWNER
                for line, column in state_writes((ROOT / path).read_text(), str(path))]
    assert offences == [], "only delivery/states.py may change a delivery's state:\n" + "\n".join(offences)


def test_the_scan_covers_the_owner_and_the_old_writers():
    """The scan is not vacuous: it reads states.py and finds its writes there."""
    modules = set(shipped_modules())
    assert {OWNER, Path("delivery/fanout.py"), Path("delivery/operations.py"),
            Path("subscriptions/endpoints.py")} <= modules
    assert len(state_writes((ROOT / OWNER).read_text())) >= 10


@pytest.mark.parametrize("source", [
    "Delivery.objects.filter(pk=1).update(status='failed')",
    "qs.update(next_attempt_at=None)",
    "row.lease_token = token",
    "row.status, row.created_at = 'sending', now",
    "setattr(row, 'send_started_at', now)",
    "Delivery.objects.create(event=e, lease_expires_at=later)",
    "Delivery(event=e, status='sending')",
    "update_returning(qs, {'status': 'succeeded'})",
    "update_where(Delivery, {'id': ids}, {'lease_token': None})",
    "values = {'lease_token': None}\nqs.update(**values)",
    "Delivery.objects.bulk_update(rows, ['next_attempt_at'])",
    "class Delivery:\n    def sent(self):\n        self.status = 'succeeded'",
])
def test_the_scan_finds_each_kind_of_write(source):
    assert state_writes(source) != []


@pytest.mark.parametrize("source", [
    "Delivery.objects.filter(status='failed', next_attempt_at__lte=now)",
    "Response(data, status=201)",
    "context = {'next_attempt_at': delivery.next_attempt_at}",
    "Endpoint.objects.filter(pk=1).update(disabled=True)",
    "class Listener:\n    def __init__(self, status):\n        self.status = status",
])
def test_the_scan_leaves_reads_alone(source):
    assert state_writes(source) == []
