"""The dispatcher's tick: stranded events, lapsed leases and due retries, found in the database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import leases, publish
from delivery.dispatcher import dispatch
from delivery.models import Delivery, Event
from subscriptions import create_endpoint

pytestmark = pytest.mark.django_db
Status = Delivery.Status


@pytest.fixture
def endpoints(invoice_paid):
    return [create_endpoint("org_42", url=f"http://127.0.0.1:9/{i}") for i in range(3)]


def batches(handed_over):
    return [call for call in handed_over if call[0] == "batch"]


def test_stranded_event_is_fanned_out_and_handed_over(endpoints, handed_over, settings):
    settings.WEBHOOKS_OUTBOX_GRACE = 2
    event = publish("invoice.paid", {}, tenant="org_42")  # its on-commit hand-off never ran
    assert dispatch()["events"] == 0  # too young: its own hand-off may still be on the way
    counts = dispatch(now=timezone.now() + timedelta(seconds=3))
    assert counts["events"] == 1
    event.refresh_from_db()
    assert event.fanned_out_at is not None
    rows = Delivery.objects.filter(event=event)
    assert rows.count() == 3 and {d.status for d in rows} == {Status.SENDING}
    [(_, ids, token, _)] = batches(handed_over)
    assert sorted(ids) == sorted(d.pk for d in rows) and {d.lease_token for d in rows} == {token}
    assert dispatch(now=timezone.now() + timedelta(seconds=3))["events"] == 0  # once only


def test_fanned_out_events_are_left_alone(endpoints, handed_over):
    event = publish("invoice.paid", {}, tenant="org_42")
    Event.objects.filter(pk=event.pk).update(fanned_out_at=timezone.now())
    assert dispatch(now=timezone.now() + timedelta(seconds=60))["events"] == 0
    assert handed_over == []


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
    assert list(leases.fenced(token).values_list("id", flat=True)) == [due.pk]


def test_a_failed_hand_off_loses_nothing(endpoints, monkeypatch, settings):
    """The broker is down during the tick: the claim lapses and the next tick hands it over again."""
    from delivery import dispatcher

    monkeypatch.setattr(dispatcher, "enqueue_batch", lambda *args, **kwargs: False)
    settings.WEBHOOKS_QUEUE_LEASE = 5
    publish("invoice.paid", {}, tenant="org_42")
    later = timezone.now() + timedelta(seconds=10)
    assert dispatch(now=later)["events"] == 1
    assert dispatch(now=later + timedelta(seconds=6))["lapsed"] == 3
