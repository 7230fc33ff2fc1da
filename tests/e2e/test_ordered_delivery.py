"""Ordered delivery end to end: real workers, a real receiver that fails the first event twice."""

from datetime import timedelta

import pytest

from delivery import publish
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type
from tests.worker import wait_until

pytestmark = pytest.mark.e2e
EVENTS = 30


def publish_in_order(count, tenant="org_line"):
    ensure_event_type("ledger.entry")
    return [publish("ledger.entry", {"n": n}, tenant=tenant).id for n in range(count)]


def assert_received_once_in_order(receiver, event_ids, timeout=90):
    wait_until(lambda: len(receiver.received()) >= len(event_ids), timeout=timeout, interval=0.2,
               what=f"{len(event_ids)} events received")
    assert receiver.received() == event_ids  # each once, in publish order
    requested = receiver.requested()
    assert [event_ids.index(e) for e in requested] == sorted(event_ids.index(e) for e in requested)  # never back
    assert receiver.most_in_flight == 1  # one at a time, as the receiver saw it
    wait_until(lambda: not Delivery.objects.filter(status="sending").exists(), timeout=10, what="the last recorded")
    attempts = list(Attempt.objects.filter(delivery__event_id__in=event_ids).order_by("started_at"))
    overlaps = [(a.pk, b.pk) for a, b in zip(attempts, attempts[1:])
                if b.started_at < a.started_at + timedelta(milliseconds=a.duration_ms - 2)]
    assert overlaps == []  # and as the attempt log says: each began after the one before had its answer


def test_an_ordered_endpoint_gets_every_event_once_in_publish_order_with_two_workers(own_workers, line_receiver):
    own_workers()
    own_workers(beat=False)
    receiver = line_receiver(fail_first=2)
    create_endpoint("org_line", url=receiver.url, ordered=True)

    event_ids = publish_in_order(EVENTS)

    assert_received_once_in_order(receiver, event_ids)
    assert receiver.requested()[:3] == [event_ids[0]] * 3  # failed twice, then went on: its retries held the line
    wait_until(lambda: Delivery.objects.filter(status="succeeded").count() == EVENTS, timeout=10,
               what="every delivery recorded as succeeded")


def test_an_unordered_endpoint_is_not_held_behind_an_ordered_one(own_workers, line_receiver):
    own_workers(extra_env={"WEBHOOKS_RETRY_SCHEDULE": "60"})  # the ordered head retries in a minute
    ordered = line_receiver(fail_first=10**6)  # fails everything
    plain = line_receiver()
    create_endpoint("org_line", url=ordered.url, ordered=True)
    create_endpoint("org_line", url=plain.url)

    event_ids = publish_in_order(EVENTS)

    wait_until(lambda: len(plain.received()) == EVENTS, timeout=60, interval=0.2, what="all events at the plain one")
    assert sorted(plain.received()) == sorted(event_ids)
    assert ordered.requested() == [event_ids[0]]  # meanwhile the line waits for its head's retry
    assert Delivery.objects.filter(endpoint__ordered=True, status="pending").count() == EVENTS - 1
