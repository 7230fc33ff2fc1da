"""``publish`` and ``publish_many`` and the caller's transaction: rollback, commit, broker outage, idempotency."""

import os
import time

import pytest
from django.db import transaction

from delivery import publish, publish_many
from delivery.models import Delivery, Event
from subscriptions import create_endpoint, ensure_event_type
from tests.worker import during_broker_outage, wait_until

pytestmark = pytest.mark.e2e


class Rollback(Exception):
    pass


@pytest.fixture
def endpoint(receiver):
    ensure_event_type("invoice.paid")
    return create_endpoint("org_1", url=receiver.url("/tx"))


def test_rolled_back_publish_sends_nothing(live_worker, receiver, endpoint):
    with pytest.raises(Rollback), transaction.atomic():
        publish("invoice.paid", {"n": 1}, tenant="org_1")
        raise Rollback
    # Longer than the outbox grace and several dispatcher ticks.
    time.sleep(2.5)
    assert receiver.requests == []
    assert Event.objects.count() == 0


def test_committed_publish_sends_once(live_worker, receiver, endpoint):
    with transaction.atomic():
        event = publish("invoice.paid", {"n": 1}, tenant="org_1")
        time.sleep(1.5)  # the worker cannot see it yet: nothing is sent before the commit
        assert receiver.requests == []
    [got] = receiver.wait_for(1, "/tx")
    assert got.headers["webhook-id"] == event.id
    time.sleep(2)  # the dispatcher's ticks must not send it again
    assert len(receiver.requests) == 1


def test_same_idempotency_key_twice_sends_once(live_worker, receiver, endpoint):
    first = publish("invoice.paid", {"n": 1}, tenant="org_1", idempotency_key="in_1-paid")
    again = publish("invoice.paid", {"n": 2}, tenant="org_1", idempotency_key="in_1-paid")
    assert again.pk == first.pk
    receiver.wait_for(1, "/tx")
    time.sleep(2)
    assert len(receiver.requests) == 1 and b'"n":1' in receiver.requests[0].body


def test_event_committed_while_the_broker_is_down_is_delivered_after(request, transactional_db, receiver, endpoint):
    during_broker_outage(request, lambda restart: _publish_in_outage_then_recover(receiver, restart))


def _publish_in_outage_then_recover(receiver, restart):
    started = time.monotonic()
    with transaction.atomic():
        event = publish("invoice.paid", {"n": 1}, tenant="org_1")
    assert time.monotonic() - started < 5, "the commit waited on the dead broker"
    time.sleep(2)
    assert receiver.requests == [] and Event.objects.get(pk=event.pk).fanned_out_at is None
    restart()
    [got] = receiver.wait_for(1, "/tx", timeout=40)
    assert got.headers["webhook-id"] == event.id
    wait_until(lambda: Delivery.objects.filter(event=event, status="succeeded").exists())
    print(f"\ndelivered {time.monotonic() - started:.1f} s after the commit (pid {os.getpid()})")


# publish_many: the same promises for a whole call.

def batch(count):
    return [{"event_type": "invoice.paid", "data": {"n": i}, "tenant": "org_1"} for i in range(count)]


def test_rolled_back_batch_sends_nothing(live_worker, receiver, endpoint):
    with pytest.raises(Rollback), transaction.atomic():
        publish_many(batch(5))
        raise Rollback
    time.sleep(2.5)  # longer than the outbox grace and several dispatcher ticks
    assert receiver.requests == [] and Event.objects.count() == 0


def test_committed_batch_is_delivered_once_each(live_worker, receiver, endpoint):
    events = publish_many(batch(20))
    receiver.wait_for(20, "/tx")
    time.sleep(2)  # the dispatcher's ticks must not send any again
    assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(e.id for e in events)


def test_batch_committed_while_the_broker_is_down_is_delivered_after(request, transactional_db, receiver, endpoint):
    during_broker_outage(request, lambda restart: _publish_in_outage_then_recover(receiver, restart))


def _publish_in_outage_then_recover(receiver, restart):
    with transaction.atomic():
        events = publish_many(batch(10))
    time.sleep(2)
    assert receiver.requests == [] and Event.objects.filter(fanned_out_at__isnull=True).count() == 10
    restart()
    receiver.wait_for(10, "/tx", timeout=60)
    assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(e.id for e in events)
    wait_until(lambda: Delivery.objects.filter(status="succeeded").count() == 10)
