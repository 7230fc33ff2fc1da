"""Content filters with a real worker and receivers: a filtered endpoint gets exactly the matching events,
an unfiltered one gets them all."""

import json
import time

import pytest

from delivery import publish
from delivery.models import Delivery
from subscriptions import create_endpoint, ensure_event_type, update_endpoint

pytestmark = pytest.mark.e2e

BIG_EURO = {"data.amount": {"$gte": 1000}, "data.currency": {"$in": ["EUR", "USD"]}}
EVENTS = [
    ("invoice.paid", {"n": 0, "amount": 1500, "currency": "EUR"}),   # matches
    ("invoice.paid", {"n": 1, "amount": 500, "currency": "EUR"}),    # too small
    ("invoice.paid", {"n": 2, "amount": 5000, "currency": "GBP"}),   # other currency
    ("invoice.voided", {"n": 3, "amount": 2000, "currency": "USD"}),  # matches
    ("invoice.paid", {"n": 4}),                                        # no amount at all
    ("invoice.paid", {"n": 5, "amount": 1000.0, "currency": "USD"}),  # matches (1000.0 >= 1000)
]


def numbers(requests):
    return sorted(json.loads(request.body)["data"]["n"] for request in requests)


def test_filtered_endpoint_gets_exactly_the_matching_events(live_worker, receiver):
    ensure_event_type("invoice.paid")
    ensure_event_type("invoice.voided")
    filtered = create_endpoint("org_1", url=receiver.url("/filtered"), filter=BIG_EURO)
    create_endpoint("org_1", url=receiver.url("/all"))
    by_type = create_endpoint("org_1", url=receiver.url("/voided-or-big"), event_types=["invoice.*"],
                              filter={"$or": [{"type": "invoice.voided"}, {"data.amount": {"$gt": 4000}}]})

    events = [publish(event_type, data, tenant="org_1") for event_type, data in EVENTS]

    assert numbers(receiver.wait_for(6, "/all")) == [0, 1, 2, 3, 4, 5]
    assert numbers(receiver.wait_for(3, "/filtered")) == [0, 3, 5]
    assert numbers(receiver.wait_for(2, "/voided-or-big")) == [2, 3]
    time.sleep(1.5)  # nothing more arrives
    assert len(receiver.to("/filtered")) == 3 and len(receiver.to("/voided-or-big")) == 2
    # A non-matching event made no delivery at all (not a cancelled or skipped one).
    assert Delivery.objects.filter(endpoint=filtered).count() == 3
    assert Delivery.objects.filter(endpoint=by_type).count() == 2
    assert Delivery.objects.filter(event__in=events).count() == 6 + 3 + 2

    update_endpoint(filtered, filter=None)  # back to every event
    publish("invoice.paid", {"n": 6}, tenant="org_1")
    assert numbers(receiver.wait_for(4, "/filtered")) == [0, 3, 5, 6]
