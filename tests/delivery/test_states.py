"""Claims and fencing: two workers never both record an outcome for the same claim."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import states
from delivery.models import Attempt, Delivery
from delivery.recording import record_outcomes
from subscriptions import create_endpoint, disable_endpoint
from tests.delivery.conftest import answer, request_for

pytestmark = pytest.mark.django_db
Status = Delivery.Status


def test_claim_due_takes_waiting_rows_whose_time_has_come(make_delivery, settings):
    settings.WEBHOOKS_QUEUE_LEASE = 77
    due = make_delivery(Status.PENDING)
    retry = make_delivery(Status.RETRYING, to=create_endpoint("org_42", url="http://127.0.0.1:9/b"),
                          attempt_count=1)
    make_delivery(Status.PENDING, to=create_endpoint("org_42", url="http://127.0.0.1:9/c"), due_in=60)
    make_delivery(Status.SUCCEEDED, to=create_endpoint("org_42", url="http://127.0.0.1:9/d"))
    make_delivery(Status.PENDING, to=create_endpoint("org_42", url="http://127.0.0.1:9/e"), next_attempt_at=None)

    ids, token = states.claim_due(10)

    assert sorted(ids) == sorted([due.pk, retry.pk])
    for row in Delivery.objects.filter(pk__in=ids):
        assert row.status == Status.SENDING and row.lease_token == token
        assert row.next_attempt_at is None
        expected = timezone.now() + timedelta(seconds=77)
        assert abs((row.lease_expires_at - expected).total_seconds()) < 5
    assert states.claim_due(10)[0] == []  # nothing twice


def test_claim_due_honours_the_limit_and_the_order(invoice_paid, event):
    endpoints = [create_endpoint("org_42", url=f"http://127.0.0.1:9/{i}") for i in range(5)]
    now = timezone.now()
    rows = [Delivery.objects.create(event=event, endpoint=e, tenant_id=e.tenant_id, status=Status.PENDING,
                                    next_attempt_at=now - timedelta(seconds=10 - i))
            for i, e in enumerate(endpoints)]
    ids, _ = states.claim_due(2)
    assert ids == [rows[0].pk, rows[1].pk]


def test_claim_due_skips_disabled_endpoints(make_delivery, endpoint):
    make_delivery(Status.RETRYING, attempt_count=1)
    disable_endpoint(endpoint, reason="by hand")
    assert states.claim_due(10)[0] == []


def test_claim_expired_takes_only_lapsed_leases(make_delivery):
    now = timezone.now()
    lapsed = make_delivery(Status.SENDING, lease_token="old", lease_expires_at=now - timedelta(seconds=1))
    make_delivery(Status.SENDING, to=create_endpoint("org_42", url="http://127.0.0.1:9/b"),
                  lease_token="live", lease_expires_at=now + timedelta(seconds=60))

    ids, token = states.claim_expired(10)

    assert ids == [lapsed.pk]
    lapsed.refresh_from_db()
    assert lapsed.lease_token == token != "old" and lapsed.lease_expires_at > now


def test_claim_one_takes_any_state_but_sending(make_delivery):
    failed = make_delivery(Status.FAILED, attempt_count=4)
    ids, token = states.claim_one(failed.pk)
    assert ids == [failed.pk]
    failed.refresh_from_db()
    assert failed.status == Status.SENDING and failed.lease_token == token
    assert states.claim_one(failed.pk) == ([], None)


def test_start_extends_the_lease_and_loads_only_what_the_token_holds(make_delivery, settings):
    settings.WEBHOOKS_TIMEOUT, settings.WEBHOOKS_LEASE_MARGIN = 15, 30
    mine = make_delivery(Status.PENDING)
    ids, token = states.claim_due(10)
    held = states.start(ids + [999999], token)
    assert [d.pk for d in held] == [mine.pk]
    mine.refresh_from_db()
    expected = timezone.now() + timedelta(seconds=4 * 15 + 30)  # waiting + attempt + margin
    assert abs((mine.lease_expires_at - expected).total_seconds()) < 5
    assert states.start(ids, "someone-else") == []


def test_a_stale_token_cannot_record_an_outcome(make_delivery):
    delivery = make_delivery(Status.PENDING)
    ids, stale = states.claim_due(10)
    [held_by_stale] = states.start(ids, stale)
    # The stale sender's lease lapses; another claim takes the row over.
    Delivery.objects.filter(pk=delivery.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    ids, fresh = states.claim_expired(10)
    assert ids == [delivery.pk]

    record_outcomes([held_by_stale], [(request_for(held_by_stale), answer(200))], stale)

    delivery.refresh_from_db()
    assert delivery.status == Status.SENDING and delivery.lease_token == fresh
    assert delivery.attempt_count == 0
    assert Attempt.objects.filter(delivery=delivery).count() == 1  # the request did happen: it is logged

    [held_by_fresh] = states.start(ids, fresh)
    record_outcomes([held_by_fresh], [(request_for(held_by_fresh), answer(200))], fresh)
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED and delivery.attempt_count == 1
    assert delivery.lease_token is None and delivery.lease_expires_at is None


def test_release_gives_rows_back_as_pending_or_retrying(make_delivery):
    fresh = make_delivery(Status.PENDING)
    tried = make_delivery(Status.RETRYING, to=create_endpoint("org_42", url="http://127.0.0.1:9/b"),
                          attempt_count=2)
    ids, token = states.claim_due(10)
    rows = states.start(ids, token)
    states.release(rows, token, next_attempt_at=None)
    fresh.refresh_from_db()
    tried.refresh_from_db()
    assert (fresh.status, tried.status) == (Status.PENDING, Status.RETRYING)
    assert fresh.lease_token is None and fresh.next_attempt_at is None


def test_release_gives_each_row_its_own_time_when_given_one_per_row(make_delivery):
    first = make_delivery(Status.PENDING)
    second = make_delivery(Status.PENDING, to=create_endpoint("org_42", url="http://127.0.0.1:9/b"))
    ids, token = states.claim_due(10)
    rows = states.start(ids, token)
    later = {first.pk: timezone.now() + timedelta(seconds=5), second.pk: timezone.now() + timedelta(seconds=50)}
    states.release(rows, token, next_attempt_at=[later[row.pk] for row in rows])
    for delivery in (first, second):
        delivery.refresh_from_db()
        assert delivery.status == Status.PENDING and delivery.next_attempt_at == later[delivery.pk]
