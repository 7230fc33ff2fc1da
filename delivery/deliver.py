"""Sending a claimed batch of deliveries and recording what happened."""

import logging
import math
import time
from datetime import UTC, datetime, timedelta
from functools import partial

from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from delivery import http_client, metrics, rate_limit, send_pool, states, wire
from delivery.fanout import fan_out_for_sending
from delivery.handoff import enqueue_batch, fan_out_request
from delivery.logging import delivery_context, log_outcomes
from delivery.models import Attempt, Delivery, fit
from delivery.retry_policy import next_delay, parse_retry_after
from delivery.returning import update_returning
from delivery.signals import delivery_exhausted, delivery_succeeded, fire
from subscriptions import conf
from subscriptions.endpoints import disable_endpoint
from subscriptions.models import Endpoint
from subscriptions.redaction import redact_headers, redact_text, redact_url
from subscriptions.secrets import active_secrets

logger = logging.getLogger("delivery")
Status = Delivery.Status

def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def fan_out_and_send(event_id=None):
    """Fan out an event and others that wait, send the first batch here and now, queue the rest."""
    size = conf.get().batch_size
    rows, token, more_waiting = fan_out_for_sending(event_id, send_now=size)
    if more_waiting:  # another worker may start on them while this one sends
        fan_out_request.ask()
    for batch in chunks([row.pk for row in rows[size:]], size):
        enqueue_batch(batch, token)
    if rows:
        send_claimed(rows[:size], token)
    return len(rows)


def deliver_batch(delivery_ids, token, trigger=Attempt.Trigger.SCHEDULED):
    """Send the deliveries this token still holds; record every attempt and outcome.

    Deliveries of a disabled endpoint are parked; those over their endpoint's
    rate limit, or whose endpoint already has its share of this process's
    sending threads, go back to the database for a moment later.  Returns how
    many requests were started.
    """
    rows = states.start(delivery_ids, token)
    lost = [d for d in rows if d.send_started_at is not None]
    if lost:
        record_lost(lost, token)
    return send_claimed([d for d in rows if d.send_started_at is None], token, trigger)


def send_claimed(deliveries, token, trigger=Attempt.Trigger.SCHEDULED):
    """``deliver_batch`` for rows already loaded under their lease (with event, endpoint, secrets)."""
    settings = conf.get()
    parked = [d for d in deliveries if d.endpoint.disabled]
    if parked:
        states.release(parked, token, next_attempt_at=None)
    live, over_limit = rate_limit.admit([d for d in deliveries if not d.endpoint.disabled])
    if over_limit:
        next_second = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
        states.release(over_limit, token, next_attempt_at=next_second)
    if not live:
        return 0
    pool = send_pool.pool(settings.send_concurrency, settings.endpoint_concurrency)
    _, _, turned_away = pool.run(live, _send_one, partial(record_outcomes, token=token, trigger=trigger),
                                 patience=settings.batch_patience, wait_seconds=settings.timeout)
    if turned_away:
        # Whole seconds: few distinct times make a short UPDATE.
        times = [datetime.fromtimestamp(math.ceil(t), tz=UTC) for t in pool.come_back_at(turned_away)]
        states.release(turned_away, token, next_attempt_at=times)
    return len(live) - len(turned_away)


def _send_one(delivery):
    """One attempt of one delivery: ``(request, outcome)``; never raises."""
    settings = conf.get()
    try:
        request = _request_for(delivery)
    except Exception as exc:  # e.g. the endpoint lost its secrets meanwhile
        request = wire.Request(url=delivery.endpoint.url, headers={}, body=b"")
        return request, http_client.Outcome(started_at=time.time(), duration_ms=0, succeeded=False,
                                            error_class=type(exc).__name__,
                                            error_message=redact_text(str(exc), delivery.endpoint.url))  # fitted later
    return request, http_client.post(request, timeout=settings.timeout, body_limit=settings.response_body_limit)


def _request_for(delivery):
    """The signed request: the one moment the endpoint's credentials and secrets are decrypted."""
    endpoint = delivery.endpoint
    return wire.build_request(
        url=endpoint.url_to_send(),
        msg_id=delivery.event_id,
        body=delivery.event.body,
        secrets=active_secrets(endpoint),
        custom_headers=endpoint.headers_to_send(),
    )


def _apply_outcome(delivery, outcome, now, settings):
    """Move one delivery to its next state; returns True when it has just been exhausted."""
    delivery.attempt_count += 1
    delivery.last_attempt_at = now
    delivery.last_response_status = outcome.status
    delivery.last_error = fit(Delivery, "last_error",
                              outcome.error_message or (f"HTTP {outcome.status}" if not outcome.succeeded else ""))
    delivery.lease_token = None
    delivery.lease_expires_at = None
    if outcome.succeeded:
        delivery.status, delivery.finished_at, delivery.next_attempt_at = Status.SUCCEEDED, now, None
        return False
    delay = next_delay(delivery.attempt_count, settings.retry_schedule, jitter=settings.retry_jitter,
                       retry_after=parse_retry_after(outcome.retry_after, now))
    if delay is None:
        delivery.status, delivery.finished_at, delivery.next_attempt_at = Status.FAILED, now, None
        return True
    delivery.status, delivery.next_attempt_at = Status.RETRYING, now + timedelta(seconds=delay)
    return False


def _trigger(delivery, trigger):
    """A finished delivery resent by hand (``retry``, ``recover``) makes a manual attempt, whoever sends it."""
    return Attempt.Trigger.MANUAL if delivery.resent_from in Status.FINISHED else trigger


def _attempt_row(delivery, request, outcome, trigger):
    """The attempt log row, every text field cut to what its column holds."""
    return Attempt(
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
    )


OUTCOME_FIELDS = ("status", "next_attempt_at", "last_attempt_at", "last_response_status", "last_error",
                  "finished_at")


def _write_states(deliveries, token):
    """One conditional UPDATE per group of deliveries that end in the same state; returns the ids written.

    A batch to healthy receivers is one group, so this is one statement where
    ``bulk_update`` would build a CASE per row and field.  Only rows the token
    still holds are written, and the statement itself says which those were.
    """
    groups = {}
    for delivery in deliveries:
        key = tuple(getattr(delivery, name) for name in OUTCOME_FIELDS)
        groups.setdefault(key, []).append(delivery.pk)
    held = set()
    for key, ids in groups.items():
        values = {"attempt_count": F("attempt_count") + 1, "lease_token": None, "lease_expires_at": None,
                  "send_started_at": None, "resent_from": "", **dict(zip(OUTCOME_FIELDS, key))}
        held.update(pk for (pk,) in update_returning(states.fenced(token).filter(id__in=ids), values))
    return held


def _write(deliveries, attempts, token):
    with transaction.atomic():
        held = _write_states(deliveries, token)
        Attempt.objects.bulk_create(attempts)
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
    attempts = [_attempt_row(d, request, outcome, trigger) for d, (request, outcome) in zip(deliveries, outcomes)]
    exhausted = {d.pk for d, (_, outcome) in zip(deliveries, outcomes) if _apply_outcome(d, outcome, now, settings)}
    try:
        held = _write(deliveries, attempts, token)
    except DatabaseError:
        logger.exception("recording %d outcomes at once failed; recording them one by one", len(deliveries))
        held = _record_one_by_one(deliveries, outcomes, attempts, exhausted, token, trigger, now, settings)
    log_outcomes(deliveries, outcomes)
    metrics.observe(outcomes)
    _update_endpoint_health(deliveries, outcomes, now, settings)
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
        if _apply_outcome(delivery, outcome, now, settings):
            exhausted.add(delivery.pk)
        attempts[position] = _attempt_row(delivery, wire.Request(url=request.url, headers={}, body=b""),
                                          outcome, trigger)
        try:
            held |= _write([delivery], [attempts[position]], token)
        except DatabaseError:  # its lease lapses, and the lapse counts as a failed attempt
            logger.exception("recording a failed attempt failed", extra=delivery_context(delivery))
    return held


def _announce(deliveries, outcomes, attempts, exhausted, held, trigger):
    """The host's signals, for the rows this token wrote; a receiver that raises is logged, never fatal."""
    attempt_of = {a.delivery_id: a for a in attempts}
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


def _update_endpoint_health(deliveries, outcomes, now, settings):
    """Successes clear an endpoint's failure streak; a long streak or a 410 disables it."""
    ok = {d.endpoint_id for d, (_, o) in zip(deliveries, outcomes) if o.succeeded}
    failed = {d.endpoint_id for d, (_, o) in zip(deliveries, outcomes) if not o.succeeded} - ok
    gone = {d.endpoint_id for d, (_, o) in zip(deliveries, outcomes) if o.status == 410}
    # Written when it changes something worth knowing, not on every batch of a busy endpoint:
    # the rows as loaded for this batch say whether it would (the filter below re-checks).
    stale = now - timedelta(seconds=10)
    endpoints = {d.endpoint_id: d.endpoint for d in deliveries}
    ok = {e for e in ok if endpoints[e].failing_since is not None or endpoints[e].last_success_at is None
          or endpoints[e].last_success_at < stale}
    if ok:
        Endpoint.objects.filter(id__in=ok).filter(
            Q(failing_since__isnull=False) | Q(last_success_at__isnull=True) | Q(last_success_at__lt=stale)
        ).update(last_success_at=now, failing_since=None)
    if failed:
        Endpoint.objects.filter(id__in=failed, failing_since__isnull=True).update(failing_since=now)
        cutoff = now - timedelta(seconds=settings.disable_after)
        for endpoint in Endpoint.objects.filter(id__in=failed, disabled=False, failing_since__lte=cutoff):
            since = f"{endpoint.failing_since:%Y-%m-%d %H:%M}"
            disable_endpoint(endpoint, reason=f"Every attempt has failed since {since} UTC.")
    if gone:
        for endpoint in Endpoint.objects.filter(id__in=gone, disabled=False):
            disable_endpoint(endpoint, reason="The receiver answered 410 Gone.")
