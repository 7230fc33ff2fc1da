"""Sending a claimed batch of deliveries and recording what happened."""

import logging
import time
from datetime import UTC, datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from delivery import conf, leases, metrics, rate_limit, send_pool, sender
from delivery.fanout import fan_out_for_sending
from delivery.handoff import enqueue_batch, enqueue_fan_out
from delivery.logging import delivery_context, log_outcomes
from delivery.models import Attempt, Delivery
from delivery.retry_policy import next_delay, parse_retry_after
from delivery.returning import update_returning
from delivery.signals import delivery_exhausted, delivery_succeeded
from subscriptions.endpoints import disable_endpoint
from subscriptions.models import Endpoint
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
        enqueue_fan_out()
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
    return send_claimed(leases.start(delivery_ids, token), token, trigger)


def send_claimed(deliveries, token, trigger=Attempt.Trigger.SCHEDULED):
    """``deliver_batch`` for rows already loaded under their lease (with event, endpoint, secrets)."""
    settings = conf.get()
    parked = [d for d in deliveries if d.endpoint.disabled]
    if parked:
        leases.release(parked, token, next_attempt_at=None)
    live, over_limit = rate_limit.admit([d for d in deliveries if not d.endpoint.disabled])
    if over_limit:
        next_second = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
        leases.release(over_limit, token, next_attempt_at=next_second)
    turned_away = []
    if live:
        pool = send_pool.pool(settings.send_concurrency, settings.endpoint_concurrency)
        _, _, turned_away = pool.run(live, _send_one, partial(record_outcomes, token=token, trigger=trigger),
                                     patience=settings.batch_patience, wait_seconds=settings.timeout)
    if turned_away:
        leases.release(turned_away, token, next_attempt_at=timezone.now() + timedelta(seconds=1))
    return len(live) - len(turned_away)


def _send_one(delivery):
    """One attempt of one delivery: ``(request, outcome)``; never raises."""
    settings = conf.get()
    try:
        request = _request_for(delivery)
    except Exception as exc:  # e.g. the endpoint lost its secrets meanwhile
        request = sender.Request(url=delivery.endpoint.url, headers={}, body=b"")
        return request, sender.Outcome(started_at=time.time(), duration_ms=0, succeeded=False,
                                       error_class=type(exc).__name__, error_message=str(exc)[:1024])
    return request, sender.send(request, timeout=settings.timeout, body_limit=settings.response_body_limit)


def _request_for(delivery):
    """The signed request: the one moment the endpoint's credentials and secrets are decrypted."""
    endpoint = delivery.endpoint
    return sender.build_request(
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
    delivery.last_error = (outcome.error_message or (f"HTTP {outcome.status}" if not outcome.succeeded else ""))[:512]
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


def _attempt_row(delivery, request, outcome, trigger):
    return Attempt(
        delivery_id=delivery.pk,
        endpoint_id=delivery.endpoint_id,
        trigger=trigger,
        started_at=datetime.fromtimestamp(outcome.started_at, tz=UTC),
        duration_ms=outcome.duration_ms,
        succeeded=outcome.succeeded,
        request_url=sender.redact_url(request.url),
        request_headers=sender.redact_headers(request.headers),
        response_status=outcome.status,
        response_headers=outcome.headers,
        response_body=outcome.body,
        error_class=outcome.error_class,
        error_message=outcome.error_message,
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
                  **dict(zip(OUTCOME_FIELDS, key))}
        held.update(pk for (pk,) in update_returning(leases.fenced(token).filter(id__in=ids), values))
    return held


def record_outcomes(deliveries, outcomes, token, trigger=Attempt.Trigger.SCHEDULED):
    """Write the attempt log and each delivery's new state in one transaction.

    Only rows this token still holds change state: a sender whose lease
    lapsed and was claimed again by another logs its attempts but moves
    nothing.
    """
    settings = conf.get()
    now = timezone.now()
    exhausted, succeeded, attempts = [], [], []
    for delivery, (request, outcome) in zip(deliveries, outcomes):
        attempts.append(_attempt_row(delivery, request, outcome, trigger))
        if _apply_outcome(delivery, outcome, now, settings):
            exhausted.append(delivery)
        elif outcome.succeeded:
            succeeded.append(delivery)
    with transaction.atomic():
        held = _write_states(deliveries, token)
        Attempt.objects.bulk_create(attempts)
    log_outcomes(deliveries, outcomes)
    metrics.observe(outcomes)
    attempt_of = {a.delivery_id: a for a in attempts}
    _update_endpoint_health(deliveries, outcomes, now, settings)
    for delivery in succeeded:
        if delivery.pk in held:
            delivery_succeeded.send(sender=Delivery, delivery=delivery, attempt=attempt_of[delivery.pk])
    for delivery in exhausted:
        if delivery.pk in held and trigger == Attempt.Trigger.SCHEDULED:
            logger.warning("delivery exhausted", extra=delivery_context(delivery))
            delivery_exhausted.send(sender=Delivery, delivery=delivery)


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
