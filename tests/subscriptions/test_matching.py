"""Event-type filters: exact names, ``prefix.*`` patterns, empty = all."""

import pytest

from subscriptions.matching import matches


@pytest.mark.parametrize("filters, event_type, expected", [
    ([], "invoice.paid", True),
    (["invoice.paid"], "invoice.paid", True),
    (["invoice.paid"], "invoice.voided", False),
    (["invoice.paid"], "invoice.paid.late", False),
    (["invoice.*"], "invoice.paid", True),
    (["invoice.*"], "invoice.paid.late", True),
    (["invoice.*"], "invoice", False),
    (["invoice.*"], "invoices.paid", False),
    (["invoice.*"], "customer.invoice.paid", False),
    (["a.b.*"], "a.b.c", True),
    (["a.b.*"], "a.bc", False),
    (["call.*", "invoice.paid"], "invoice.paid", True),
    (["call.*", "invoice.paid"], "invoice.sent", False),
    (["Invoice.paid"], "invoice.paid", False),
])
def test_matches(filters, event_type, expected):
    assert matches(filters, event_type) is expected
