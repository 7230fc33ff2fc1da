"""Recording what happened: the attempt log and each delivery's new state, then the host's signals.

A batch's attempts and states are written in one transaction; if the
database refuses it, each delivery is written in its own, so one bad row
never loses its batch-mates' outcomes.  The states themselves are decided
and written by ``states`` (``settle``, ``record``); what the answers say about
their endpoints goes on to ``endpoint_health``.
"""

import logging
from datetime import UTC, datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from delivery import endpoint_health, http_client, lines, metrics, states, wire
from delivery.bulk_insert import Blank, insert_instances
from delivery.logging import delivery_context, log_outcomes
from delivery.models import Attempt, Delivery, fit
from delivery.signals import delivery_exhausted, delivery_succeeded, fire
from subscriptions import conf
from subscriptions.redaction import redact_headers, redact_url

logger = logging.getLogger("delivery")
Status = Delivery.Status


def _trigger(delivery, trigger):
    """A finished delivery resent by hand (``retry``, ``recover``) makes a manual attempt, whoever sends it."""
    return Attempt.Trigger.MANUAL if delivery.resent_from in Status.FINISHED else trigger


def _attempt_row(delivery, request, outcome, trigger):
    """The attempt log row, every text field cut to what its column holds."""
    return Blank.of(Attempt).new(
        delivery_id=delivery.pk,
        endpoint_id=delivery.endpoint_id,
        trigger=_trigger(delivery, trigger),
        started_at=datetime.fromtimestamp(outcome.started_at, tz=UTC),
        duration_ms=outcome.duration_ms,
        succeeded=outcome.succeeded,
        request_url=fit(Attempt, "request_url", redact_url(request.url)),
        request_headers=redact_headers(request.headers),
        response_status=outcome.status,
        response_headers=outcome.headers,
        response_body=fit(Attempt, "response_body", outcome.body),
        error_class=fit(Attempt, "error_class", outcome.error_class),
        error_message=fit(Attempt, "error_message", outcome.error_message),
        target=request.target,
    )


def _attempt_rows(delivery, sent, trigger):
    """The attempt log rows of one send: the URL's, and the fallback URL's when it was tried."""
    return [_attempt_row(delivery, request, outcome, trigger) for request, outcome in wire.exchanges(sent)]


def _write(deliveries, attempts, token):
    """``attempts``: the rows of each delivery's send, a list per delivery.  The next heads of the
    ordered lines that finished deliveries left are claimed in the same transaction (``lines.claim_next``)."""
    with transaction.atomic():
        held = states.record(deliveries, token)
        insert_instances([row for rows in attempts for row in rows])
        claim = lines.claim_next(deliveries, held)
    lines.hand_over(claim)
    return held


def record_outcomes(deliveries, outcomes, token, trigger=Attempt.Trigger.SCHEDULED):
    """Write the attempt log and each delivery's new state, in one transaction if it can be.

    Only rows this token still holds change state: a sender whose lease
    lapsed and was claimed again by another logs its attempts but moves
    nothing.  If the batch's transaction fails, each delivery is recorded in
    its own, so that one row the database refuses never loses its batch-mates'
    outcomes (which would send them again and again).
    """
    settings = conf.get()
    now = timezone.now()
    outcomes = list(outcomes)
    attempts = [_attempt_rows(d, sent, trigger) for d, sent in zip(deliveries, outcomes)]
    exhausted = {d.pk for d, (_, outcome) in zip(deliveries, outcomes) if states.settle(d, outcome, now, settings)}
    try:
        held = _write(deliveries, attempts, token)
    except DatabaseError:
        logger.exception("recording %d outcomes at once failed; recording them one by one", len(deliveries))
        held = _record_one_by_one(deliveries, outcomes, attempts, exhausted, token, trigger, now, settings)
    log_outcomes(deliveries, outcomes)
    metrics.observe([exchange for sent in outcomes for exchange in wire.exchanges(sent)])
    endpoint_health.update(deliveries, outcomes, now, settings)
    _announce(deliveries, outcomes, attempts, exhausted, held, trigger)


def _record_one_by_one(deliveries, outcomes, attempts, exhausted, token, trigger, now, settings):
    """Each delivery in a savepoint of its own; one the database refuses fails like any error.

    Changes ``outcomes``, ``attempts`` and ``exhausted`` in place for those; returns the ids written.
    """
    held = set()
    for position, delivery in enumerate(deliveries):
        try:
            held |= _write([delivery], [attempts[position]], token)
            continue
        except DatabaseError as exc:
            logger.exception("recording an attempt failed; it counts as a failed attempt",
                             extra=delivery_context(delivery))
            request, outcome = outcomes[position]
            outcome = http_client.Outcome(
                started_at=outcome.started_at, duration_ms=0, succeeded=False,
                error_class="RecordingError",
                error_message=f"The outcome of this attempt could not be stored ({type(exc).__name__}).")
            outcomes[position] = (request, outcome)
        delivery.attempt_count -= 1  # the failed write's increment, made again below
        exhausted.discard(delivery.pk)
        if states.settle(delivery, outcome, now, settings):
            exhausted.add(delivery.pk)
        attempts[position] = [_attempt_row(delivery, wire.Request(url=request.url, headers={}, body=b"",
                                                                  target=request.target), outcome, trigger)]
        try:
            held |= _write([delivery], [attempts[position]], token)
        except DatabaseError:  # its lease lapses, and the lapse counts as a failed attempt
            logger.exception("recording a failed attempt failed", extra=delivery_context(delivery))
    return held


def _announce(deliveries, outcomes, attempts, exhausted, held, trigger):
    """The host's signals, for the rows this token wrote; a receiver that raises is logged, never fatal."""
    attempt_of = {rows[-1].delivery_id: rows[-1] for rows in attempts}  # the last one decided
    for delivery, (_, outcome) in zip(deliveries, outcomes):
        if delivery.pk not in held:
            continue
        if outcome.succeeded:
            fire(delivery_succeeded, sender=Delivery, delivery=delivery, attempt=attempt_of[delivery.pk])
        elif delivery.pk in exhausted and _trigger(delivery, trigger) == Attempt.Trigger.SCHEDULED:
            logger.warning("delivery exhausted", extra=delivery_context(delivery))
            fire(delivery_exhausted, sender=Delivery, delivery=delivery)


def record_lost(deliveries, token):
    """Count sends that died with their worker as failed attempts (retried, exhausted, like any failure).

    Their lease lapsed after a worker had started sending them: the worker
    crashed or was killed (a receiver may make it do so on purpose).  Sending
    them again straight away would let such a receiver loop them forever.
    """
    outcomes = [(wire.Request(url=d.endpoint.url, headers={}, body=b""), http_client.Outcome(
        started_at=d.send_started_at.timestamp(), duration_ms=0, succeeded=False, error_class="WorkerLost",
        error_message="The worker sending this attempt stopped (crashed or was killed) before it could "
                      "record an outcome.")) for d in deliveries]
    for delivery in deliveries:
        logger.warning("a send died with its worker", extra=delivery_context(delivery))
    record_outcomes(deliveries, outcomes, token)
