"""The dispatcher's tick: stranded events, lapsed leases and due retries, found in the database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import publish, states
from delivery.dispatcher import dispatch
from delivery.fanout import fan_out_for_sending
from delivery.models import Delivery, Event
from subscriptions import create_endpoint

pytestmark = pytest.mark.django_db
Status = Delivery.Status


@pytest.fixture
def endpoints(invoice_paid):
    return [create_endpoint("org_42", url=f"http://127.0.0.1:9/{i}") for i in range(3)]


def batches(handed_over):
    return [call for call in handed_over if call[0] == "batch"]


def test_a_stranded_event_is_asked_for_again(endpoints, handed_over, settings):
    settings.WEBHOOKS_OUTBOX_GRACE = 2
    event = publish("invoice.paid", {}, tenant="org_42")  # its on-commit hand-off never ran
    assert dispatch()["events"] == 0  # too young: its own hand-off may still be on the way
    assert handed_over == []
    assert dispatch(now=timezone.now() + timedelta(seconds=3))["events"] == 1
    # Any fan-out request that stood for it is taken down first: its task may be the one that was lost.
    assert handed_over == [("fan_out_request_taken",), ("fan_out", None)]
    handed_over.clear()
    fan_out_for_sending(None, send_now=50)  # what the worker does with that task
    assert Event.objects.get(pk=event.pk).fanned_out_at is not None
    assert Delivery.objects.filter(event=event).count() == 3
    assert dispatch(now=timezone.now() + timedelta(seconds=3))["events"] == 0  # asked for once only
    assert handed_over == []


def test_fanned_out_events_are_left_alone(endpoints, handed_over):
    event = publish("invoice.paid", {}, tenant="org_42")
    Event.objects.filter(pk=event.pk).update(fanned_out_at=timezone.now())
    assert dispatch(now=timezone.now() + timedelta(seconds=60))["events"] == 0
    assert handed_over == []  # nothing handed over, and the fan-out request left alone


def test_lapsed_leases_are_claimed_again(endpoints, handed_over, settings):
    settings.WEBHOOKS_BATCH_SIZE = 2
    event = publish("invoice.paid", {}, tenant="org_42")
    Event.objects.filter(pk=event.pk).update(fanned_out_at=timezone.now())
    past = timezone.now() - timedelta(seconds=1)
    for endpoint in endpoints:
        Delivery.objects.create(event=event, endpoint=endpoint, tenant_id=endpoint.tenant_id,
                                status=Status.SENDING, lease_token="dead-worker", lease_expires_at=past)
    counts = dispatch()
    assert counts["lapsed"] == 3
    assert [len(ids) for _, ids, _, _ in batches(handed_over)] == [2, 1]  # in batches of the batch size
    assert not Delivery.objects.filter(lease_token="dead-worker").exists()


def test_due_retries_are_claimed_and_future_ones_wait(endpoints, handed_over):
    event = publish("invoice.paid", {}, tenant="org_42")
    Event.objects.filter(pk=event.pk).update(fanned_out_at=timezone.now())
    now = timezone.now()
    due = Delivery.objects.create(event=event, endpoint=endpoints[0], tenant_id=endpoints[0].tenant_id,
                                  status=Status.RETRYING, attempt_count=1, next_attempt_at=now)
    Delivery.objects.create(event=event, endpoint=endpoints[1], tenant_id=endpoints[1].tenant_id,
                            status=Status.RETRYING, attempt_count=1, next_attempt_at=now + timedelta(minutes=5))
    assert dispatch(now=now)["due"] == 1
    [(_, ids, token, trigger)] = batches(handed_over)
    assert ids == [due.pk] and trigger == "scheduled"
    assert list(states.fenced(token).values_list("id", flat=True)) == [due.pk]


def test_a_failed_hand_off_loses_nothing(endpoints, monkeypatch, settings, make_delivery):
    """The broker is down during the tick: the claim lapses and the next tick hands it over again."""
    from delivery import dispatcher

    monkeypatch.setattr(dispatcher, "enqueue_batch", lambda *args, **kwargs: False)
    settings.WEBHOOKS_QUEUE_LEASE = 5
    due = make_delivery(Status.RETRYING, to=endpoints[0], attempt_count=1)
    now = timezone.now()
    assert dispatch(now=now)["due"] == 1
    assert dispatch(now=now + timedelta(seconds=1))["lapsed"] == 0  # its claim still holds
    assert dispatch(now=now + timedelta(seconds=6))["lapsed"] == 1
    assert Delivery.objects.get(pk=due.pk).status == Status.SENDING
