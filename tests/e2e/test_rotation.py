"""A secret rotation: both secrets sign during the grace period, each verifies on its own."""

import pytest
from standardwebhooks.webhooks import Webhook

from delivery import publish
from subscriptions import create_endpoint, ensure_event_type, reveal_secret, rotate_secret

pytestmark = pytest.mark.e2e


def test_both_signatures_during_rotation(live_worker, receiver):
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_1", url=receiver.url("/rot"))
    old = reveal_secret(endpoint)
    new = rotate_secret(endpoint).reveal()
    assert reveal_secret(endpoint) == new

    event = publish("invoice.paid", {"n": 1}, tenant="org_1")

    [got] = receiver.wait_for(1, "/rot")
    entries = got.headers["webhook-signature"].split(" ")
    assert len(entries) == 2 and all(e.startswith("v1,") for e in entries)
    for secret in (old, new):
        assert Webhook(secret).verify(got.body, got.headers)["data"] == {"n": 1}
    # Each entry alone is a valid signature: the new secret's first, then the old one's.
    singles = [{**got.headers, "webhook-signature": e} for e in entries]
    assert Webhook(new).verify(got.body, singles[0]) and Webhook(old).verify(got.body, singles[1])
    assert got.headers["webhook-id"] == event.id


def test_after_the_grace_period_one_signature(live_worker, receiver):
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_1", url=receiver.url("/rot"))
    old = reveal_secret(endpoint)
    new = rotate_secret(endpoint, grace_period=0).reveal()

    publish("invoice.paid", {"n": 1}, tenant="org_1")

    [got] = receiver.wait_for(1, "/rot")
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(got.body, got.headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(old).verify(got.body, got.headers)
