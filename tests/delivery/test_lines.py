"""Ordered delivery's line rule: of an ordered endpoint only the head may be claimed (SQLite and PostgreSQL)."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from delivery import lines, publish, recording, sending, states
from delivery.dispatcher import dispatch
from delivery.fanout import fan_out_for_sending
from delivery.models import Attempt, Delivery, EndpointState
from delivery.operations import cancel_delivery, recover_endpoint, retry_delivery
from delivery.recording import record_outcomes
from subscriptions import conf, create_endpoint, disable_endpoint, enable_endpoint, update_endpoint
from tests.delivery.conftest import answer, request_for

Status = Delivery.Status


@pytest.fixture
def ordered(invoice_paid):
    return create_endpoint("org_42", url="http://127.0.0.1:9/ordered", ordered=True)


def published(count, tenant="org_42"):
    return [publish("invoice.paid", {"n": n}, tenant=tenant) for n in range(count)]


def fanned_out(events):
    """Fan out each event on its own, as separate tasks do; returns the claimed (unordered) rows."""
    rows = []
    for event in events:
        rows += fan_out_for_sending(event.pk, send_now=0)[0]
    return rows


def line(endpoint):
    return list(Delivery.objects.filter(endpoint=endpoint).order_by("event_id"))


def send(ids, token, status=200):
    """A worker takes up the claimed batch and records ``status`` for each."""
    held = states.start(ids, token)
    record_outcomes(held, [(request_for(d), answer(status)) for d in held], token)


def claimed_batches(handed_over):
    return [(ids, token) for kind, ids, token, _ in (c for c in handed_over if c[0] == "batch")]


@pytest.mark.django_db
class TestTheLine:
    def test_an_ordered_endpoints_deliveries_wait_in_line_and_only_the_head_is_handed_over(
            self, ordered, handed_over):
        events = published(3)
        assert fanned_out(events) == []  # none claimed with the fan-out's batch

        first, second, third = line(ordered)
        assert [d.event_id for d in (first, second, third)] == [e.pk for e in events]
        assert [ids for ids, _ in claimed_batches(handed_over)] == [[first.pk]]
        first.refresh_from_db(), second.refresh_from_db()
        assert first.status == Status.SENDING
        assert (second.status, second.next_attempt_at) == (Status.PENDING, None)  # no time: costs the queue nothing
        assert states.claim_heads(10)[0] == []  # the head is out: nothing else
        assert states.claim_due(10)[0] == []

    def test_the_next_goes_when_the_one_before_succeeded(self, ordered, handed_over):
        fanned_out(published(3))
        first, second, third = line(ordered)
        [(ids, token)] = claimed_batches(handed_over)

        send(ids, token, 200)

        assert [ids for ids, _ in claimed_batches(handed_over)] == [[first.pk], [second.pk]]
        assert Delivery.objects.get(pk=third.pk).status == Status.PENDING

    def test_a_retry_keeps_its_schedule_and_holds_the_line(self, ordered, handed_over, short_schedule):
        fanned_out(published(2))
        first, second = line(ordered)
        [(ids, token)] = claimed_batches(handed_over)

        send(ids, token, 503)

        first.refresh_from_db()
        assert first.status == Status.RETRYING
        assert len(claimed_batches(handed_over)) == 1  # the line did not move
        assert states.claim_heads(10)[0] == []  # its retry is 10 s away, and the next waits for it
        later = first.next_attempt_at + timedelta(milliseconds=1)
        assert states.claim_heads(10, now=later)[0] == [first.pk]  # the head again, at its time

    def test_a_delivery_failed_for_good_lets_the_line_move_on(self, ordered, handed_over, settings):
        settings.WEBHOOKS_RETRY_SCHEDULE = ""  # one attempt only
        fanned_out(published(2))
        first, second = line(ordered)
        [(ids, token)] = claimed_batches(handed_over)

        send(ids, token, 500)

        assert Delivery.objects.get(pk=first.pk).status == Status.FAILED
        assert [ids for ids, _ in claimed_batches(handed_over)][-1] == [second.pk]

    def test_a_cancelled_head_lets_the_line_move_on(self, ordered, handed_over, short_schedule,
                                                    django_capture_on_commit_callbacks):
        fanned_out(published(2))
        first, second = line(ordered)
        send(*claimed_batches(handed_over)[0], 503)  # retrying: it may be cancelled

        with django_capture_on_commit_callbacks(execute=True):
            cancel_delivery(Delivery.objects.get(pk=first.pk))

        assert [ids for ids, _ in claimed_batches(handed_over)][-1] == [second.pk]

    def test_an_earlier_event_still_waiting_for_its_fan_out_holds_the_line(self, ordered, handed_over):
        early, late = published(2)
        fanned_out([late])  # its task ran first (or the early one's hand-off was lost)
        [late_delivery] = line(ordered)

        assert claimed_batches(handed_over) == []
        assert states.claim_heads(10)[0] == []

        fanned_out([early])
        early_delivery = Delivery.objects.get(event=early)
        assert [ids for ids, _ in claimed_batches(handed_over)] == [[early_delivery.pk]]
        assert Delivery.objects.get(pk=late_delivery.pk).status == Status.PENDING

    def test_lines_are_per_endpoint_and_unordered_endpoints_are_not_held(self, ordered, handed_over,
                                                                         short_schedule):
        other_line = create_endpoint("org_42", url="http://127.0.0.1:9/other-line", ordered=True)
        plain = create_endpoint("org_42", url="http://127.0.0.1:9/plain")
        events = published(3)
        claimed = fanned_out(events)

        assert sorted(d.event_id for d in claimed) == sorted(e.pk for e in events)  # plain: all at once
        assert {d.endpoint_id for d in claimed} == {plain.pk}
        heads = {d.endpoint_id for d in Delivery.objects.filter(status=Status.SENDING, endpoint__ordered=True)}
        assert heads == {ordered.pk, other_line.pk}  # each line has its own head out

    def test_the_dispatcher_finds_a_free_head_whose_hand_off_was_lost(self, ordered, handed_over):
        fanned_out(published(2))
        first, second = line(ordered)
        [(ids, token)] = claimed_batches(handed_over)
        handed_over.clear()
        states.start(ids, token)
        Delivery.objects.filter(pk=first.pk).update(status=Status.SUCCEEDED, lease_token=None)

        assert dispatch()["heads"] == 1
        assert claimed_batches(handed_over)[0][0] == [second.pk]

    def test_a_lapsed_head_is_taken_again_and_the_next_still_waits(self, ordered, handed_over):
        fanned_out(published(2))
        first, second = line(ordered)
        later = timezone.now() + timedelta(hours=1)  # every lease has lapsed by then

        assert states.claim_expired(10, now=later)[0] == [first.pk]
        assert states.claim_heads(10, now=later)[0] == []

    def test_a_disabled_ordered_endpoint_keeps_its_line_and_goes_on_when_enabled(self, ordered, handed_over,
                                                                                 short_schedule):
        fanned_out(published(2))
        first, second = line(ordered)
        send(*claimed_batches(handed_over)[0], 503)  # retrying in 10 s
        disable_endpoint(ordered, reason="by hand")
        assert states.claim_heads(10, now=timezone.now() + timedelta(minutes=1))[0] == []

        enable_endpoint(ordered)

        assert Delivery.objects.get(pk=second.pk).next_attempt_at is None  # still in line, no time of its own
        assert states.claim_due(10)[0] == []
        assert states.claim_heads(10)[0] == [first.pk]  # the kept head goes first, now

    def test_turning_ordered_off_makes_the_line_due_now(self, ordered, handed_over):
        fanned_out(published(3))
        first, second, third = line(ordered)

        update_endpoint(ordered, ordered=False)

        assert sorted(states.claim_due(10)[0]) == [second.pk, third.pk]

    def test_turning_ordered_on_lines_up_later_deliveries(self, ordered, handed_over):
        update_endpoint(ordered, ordered=False)
        fanned_out(published(1))
        update_endpoint(ordered, ordered=True)
        fanned_out(published(1))
        old, new = line(ordered)

        assert old.status == Status.SENDING  # claimed with its fan-out, before the change
        assert new.status == Status.PENDING and states.claim_heads(10)[0] == []  # waits for the one in flight


@pytest.mark.django_db
class TestResends:
    def test_a_resend_returns_to_the_line_at_its_events_place(self, ordered, handed_over,
                                                              django_capture_on_commit_callbacks):
        fanned_out(published(3))
        first, second, third = line(ordered)
        send(*claimed_batches(handed_over)[0], 200)  # first succeeded; second is out now
        assert Delivery.objects.get(pk=second.pk).status == Status.SENDING

        with django_capture_on_commit_callbacks(execute=True):
            resent = retry_delivery(Delivery.objects.get(pk=first.pk))

        assert (resent.status, resent.next_attempt_at) == (Status.RETRYING, None)
        assert states.claim_heads(10)[0] == []  # one at a time: it waits for the one out now
        send(*claimed_batches(handed_over)[-1], 200)  # second succeeds
        assert [ids for ids, _ in claimed_batches(handed_over)][-1] == [first.pk]  # before the third
        assert Delivery.objects.get(pk=third.pk).status == Status.PENDING

    def test_a_resend_of_a_delivery_being_sent_is_refused(self, ordered, handed_over):
        fanned_out(published(1))
        [first] = line(ordered)
        with pytest.raises(Exception, match="being sent"):
            retry_delivery(first)

    def test_recover_puts_failed_deliveries_back_in_line_in_publish_order(
            self, ordered, handed_over, settings, django_capture_on_commit_callbacks):
        settings.WEBHOOKS_RETRY_SCHEDULE = ""
        fanned_out(published(2))
        first, second = line(ordered)
        send(*claimed_batches(handed_over)[0], 500)
        send(*claimed_batches(handed_over)[-1], 500)
        assert {d.status for d in line(ordered)} == {Status.FAILED}

        with django_capture_on_commit_callbacks(execute=True):
            assert recover_endpoint(ordered, since=timezone.now() - timedelta(minutes=1)) == 2

        assert [ids for ids, _ in claimed_batches(handed_over)][-1] == [first.pk]
        assert Delivery.objects.get(pk=second.pk).next_attempt_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_a_claim_never_takes_the_next_while_another_holds_the_head(ordered, handed_over):
    """Two claims at once: while one holds the head's row (uncommitted), the other takes nothing."""
    fanned_out(published(2))
    first, second = line(ordered)
    Delivery.objects.filter(pk=first.pk).update(status=Status.PENDING, lease_token=None)  # back in line
    holding, release = threading.Event(), threading.Event()

    def hold_the_head():
        try:
            with transaction.atomic():
                assert states.claim_heads(10)[0] == [first.pk]
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold_the_head)
    thread.start()
    try:
        assert holding.wait(10)
        assert states.claim_heads(10)[0] == []
        assert states.claim_due(10)[0] == []
    finally:
        release.set()
        thread.join(10)
    assert Delivery.objects.get(pk=first.pk).status == Status.SENDING
    assert Delivery.objects.get(pk=second.pk).status == Status.PENDING


@pytest.mark.django_db(transaction=True)
class TestClaimedWithTheOutcome:
    """The next head is claimed in the transaction that records the outcome before it: one commit."""

    def settled(self, held, status=200):
        """The deliveries moved in memory to their outcome, and their attempt rows, as ``record_outcomes``
        makes them before writing."""
        outcomes = [(request_for(d), answer(status)) for d in held]
        now = timezone.now()
        for delivery, (_, outcome) in zip(held, outcomes):
            states.settle(delivery, outcome, now, conf.get())
        return [[recording._attempt_row(d, request, outcome, Attempt.Trigger.SCHEDULED)]
                for d, (request, outcome) in zip(held, outcomes)]

    def test_writing_an_outcome_claims_the_next_head_with_it(self, ordered, handed_over):
        fanned_out(published(2))
        first, second = line(ordered)
        [(ids, token)] = claimed_batches(handed_over)
        held = states.start(ids, token)

        assert recording._write(held, self.settled(held), token) == {first.pk}

        assert Delivery.objects.get(pk=second.pk).status == Status.SENDING
        assert [ids for ids, _ in claimed_batches(handed_over)] == [[first.pk], [second.pk]]

    def test_if_the_recording_rolls_back_the_next_head_is_not_claimed(self, ordered, handed_over):
        fanned_out(published(2))
        first, second = line(ordered)
        [(ids, token)] = claimed_batches(handed_over)
        held = states.start(ids, token)
        [rows] = self.settled(held)
        orphan = recording._attempt_row(held[0], request_for(held[0]), answer(200), Attempt.Trigger.SCHEDULED)
        orphan.delivery_id = second.pk + 1000  # no such delivery: refused when the transaction commits

        with pytest.raises(IntegrityError):
            recording._write(held, [rows + [orphan]], token)

        first.refresh_from_db(), second.refresh_from_db()
        assert (first.status, first.lease_token) == (Status.SENDING, token)  # its outcome not written
        assert (second.status, second.lease_token) == (Status.PENDING, None)  # and the line did not move
        assert claimed_batches(handed_over) == [(ids, token)]  # nothing handed over


@pytest.mark.django_db
class TestCarryingOn:
    """A send task goes on with the heads its own outcomes freed, for a while, then hands the line back."""

    def carry_on(self, batch):
        """``lines.carrying_on`` as the send task runs it, every receiver answering 200; the ids sent."""
        sent = []

        def send(ids, token, *args):
            sent.append(list(ids))
            held = states.start(ids, token)
            record_outcomes(held, [(request_for(d), answer(200)) for d in held], token)

        def send_started(rows, token):
            assert all(row.send_started_at for row in rows)  # claimed started, under the sending lease
            sent.append([row.pk for row in rows])
            record_outcomes(rows, [(request_for(d), answer(200)) for d in rows], token)

        lines.carrying_on(send, send_started, *batch)
        return sent

    def test_the_task_sends_the_freed_heads_itself(self, ordered, handed_over):
        fanned_out(published(3))
        first, second, third = line(ordered)
        [batch] = claimed_batches(handed_over)

        assert self.carry_on(batch) == [[first.pk], [second.pk], [third.pk]]
        assert claimed_batches(handed_over) == [batch]  # nothing more went through the broker
        assert {d.status for d in line(ordered)} == {Status.SUCCEEDED}
        assert Attempt.objects.filter(delivery__endpoint=ordered, succeeded=True).count() == 3

    def test_the_heads_it_goes_on_with_are_sent_with_the_endpoint_already_loaded(self, ordered, handed_over):
        fanned_out(published(3))
        [batch] = claimed_batches(handed_over)
        endpoints = []

        def send(ids, token, *args):
            held = states.start(ids, token)
            endpoints.append(held[0].endpoint)
            record_outcomes(held, [(request_for(d), answer(200)) for d in held], token)

        def send_started(rows, token):
            endpoints.append(rows[0].endpoint)
            record_outcomes(rows, [(request_for(d), answer(200)) for d in rows], token)

        lines.carrying_on(send, send_started, *batch)

        assert len(endpoints) == 3 and all(endpoint is endpoints[0] for endpoint in endpoints)
        assert [s.pk for s in endpoints[0].secrets.all()] == [s.pk for s in ordered.secrets.all()]  # loaded once

    def test_a_head_whose_endpoint_the_answer_before_it_disabled_is_parked_not_sent(self, ordered, handed_over,
                                                                                    settings):
        settings.WEBHOOKS_RETRY_SCHEDULE = ""  # one attempt only: a 410 fails the delivery for good
        fanned_out(published(2))
        first, second = line(ordered)
        [batch] = claimed_batches(handed_over)

        def send(ids, token, *args):
            held = states.start(ids, token)
            record_outcomes(held, [(request_for(d), answer(410)) for d in held], token)

        lines.carrying_on(send, sending.send_claimed, *batch)

        ordered.refresh_from_db(), second.refresh_from_db()
        assert ordered.disabled
        assert Delivery.objects.get(pk=first.pk).status == Status.FAILED
        assert (second.status, second.next_attempt_at, second.attempt_count) == (Status.PENDING, None, 0)  # parked
        assert not Attempt.objects.filter(delivery=second).exists()

    def test_a_success_after_a_failure_for_good_ends_the_failure_streak_it_began(self, ordered, handed_over,
                                                                                  settings):
        settings.WEBHOOKS_RETRY_SCHEDULE = ""  # one attempt only: a 500 fails the delivery for good
        EndpointState.objects.create(endpoint=ordered, last_success_at=timezone.now())  # a healthy endpoint
        fanned_out(published(2))
        [batch] = claimed_batches(handed_over)
        answers = iter([500, 200])

        def send(ids, token, *args):
            held = states.start(ids, token)
            record_outcomes(held, [(request_for(d), answer(next(answers))) for d in held], token)

        def send_started(rows, token):
            record_outcomes(rows, [(request_for(d), answer(next(answers))) for d in rows], token)

        lines.carrying_on(send, send_started, *batch)

        assert [d.status for d in line(ordered)] == [Status.FAILED, Status.SUCCEEDED]
        assert EndpointState.objects.get(endpoint=ordered).failing_since is None

    def test_after_its_time_the_rest_of_the_line_goes_to_the_broker(self, ordered, handed_over, monkeypatch):
        monkeypatch.setattr(lines, "CARRY_ON_SECONDS", 0)
        fanned_out(published(3))
        first, second, third = line(ordered)
        [batch] = claimed_batches(handed_over)

        assert self.carry_on(batch) == [[first.pk], [second.pk]]  # the one claimed in its time is sent here
        assert [ids for ids, _ in claimed_batches(handed_over)] == [[first.pk], [third.pk]]
        third.refresh_from_db()
        assert third.status == Status.SENDING and third.send_started_at is None  # handed over, not started
