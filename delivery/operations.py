"""What people do to deliveries: resend one, recover an endpoint, cancel, send a test event."""

import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from delivery import lines, states
from delivery.handoff import enqueue_batch
from delivery.models import Attempt, Delivery, Event
from delivery.publishing import check_body
from delivery.wire import delivery_bodies, render_body
from subscriptions import conf
from subscriptions.event_types import live_event_type
from subscriptions.models import Endpoint


def retry_delivery(delivery):
    """Send a delivery again now, as a new attempt, whatever its state but ``sending``.

    The attempt uses the same ``webhook-id`` and body, so receivers can de-duplicate.
    Refused while the endpoint is disabled: the resend could only wait for the
    endpoint, and a finished delivery would look as if it were waiting again.
    An ordered endpoint's delivery goes back to its line at its event's place
    instead, and out as soon as the line is free (README, "Ordered delivery").
    """
    if delivery.endpoint.ordered:
        ids, token = [delivery.pk] if states.return_to_line(delivery.pk) else [], None
    else:
        ids, token = states.claim_one(delivery.pk)
    if not ids:
        if Endpoint.objects.filter(pk=delivery.endpoint_id, disabled=True).exists():
            raise ValidationError("The endpoint is disabled; enable it before resending.",
                                  code="endpoint_disabled")
        if Endpoint.objects.filter(pk=delivery.endpoint_id, kind=Endpoint.Kind.POLLING).exists():
            raise ValidationError("Its endpoint is polled, not sent to: its consumer reads it again from an "
                                  "earlier cursor.", code="polling")
        raise ValidationError("This delivery is being sent right now.", code="busy")
    if token is None:
        transaction.on_commit(lambda: lines.advance([delivery.endpoint_id]))
    else:
        transaction.on_commit(lambda: enqueue_batch(ids, token, Attempt.Trigger.MANUAL))
    delivery.refresh_from_db()
    return delivery


def recover_endpoint(endpoint, *, since, progress=None):
    """Resend every failed delivery to ``endpoint`` created since ``since``; returns the count.

    ``since`` may go back at most ``WEBHOOKS_RECOVER_WINDOW``.  The request
    does one UPDATE: the deliveries become due now, marked as manual resends
    of failed deliveries, and the dispatcher sends them in its bounded batches
    (as Svix runs recovery in the background).  ``progress(count)`` is called
    once they are scheduled (the ``webhooks_recover`` command draws a bar).
    """
    _check_recoverable(endpoint, since)
    count = states.requeue_failed(endpoint.pk, since)
    if count and endpoint.ordered:
        transaction.on_commit(lambda: lines.advance([endpoint.pk]))
    if progress:
        progress(count)
    return count


def _check_recoverable(endpoint, since):
    now = timezone.now()
    window = conf.get().recover_window
    if since > now:
        raise ValidationError("since must be in the past.", code="invalid")
    if since < now - timedelta(seconds=window):
        raise ValidationError(f"since may be at most {_age(window)} ago (WEBHOOKS_RECOVER_WINDOW).",
                              code="invalid")
    if endpoint.disabled:
        raise ValidationError("The endpoint is disabled; enable it before recovering.", code="endpoint_disabled")


def _age(seconds):
    return f"{seconds / 86400:g} days" if seconds >= 86400 else f"{seconds:g} seconds"


def cancel_delivery(delivery):
    """Stop a waiting delivery from being tried again."""
    if not states.cancel(delivery.pk):
        raise ValidationError("Only pending or retrying deliveries can be cancelled.", code="invalid")
    if delivery.endpoint.ordered:  # it may have been the head of its line
        transaction.on_commit(lambda: lines.advance([delivery.endpoint_id]))
    delivery.refresh_from_db()
    return delivery


def send_test_event(endpoint, event_type, data=None):
    """Send an example event to this endpoint only; returns the event.

    Its body obeys the payload limit and the event type's schema, as ``publish`` does.
    """
    type_entry = live_event_type(event_type)
    now = timezone.now()
    data = data if data is not None else {"test": True, "message": "A test event from hookplatform."}
    body = render_body(type_entry.name, data, now)
    check_body(type_entry, body)
    with transaction.atomic():
        event = Event.objects.create(tenant_id=endpoint.tenant_id, event_type=type_entry.name, body=body,
                                     occurred_at=now, fanned_out_at=now)
        [(own_body, content_type, body_error)] = delivery_bodies([(endpoint, event.pk, json.loads(body))])
        row = Delivery(event=event, endpoint=endpoint, tenant_id=endpoint.tenant_id, body=own_body,
                       content_type=content_type, body_error=body_error)
        if endpoint.kind == endpoint.Kind.POLLING:  # kept for its consumer, like every event
            states.keep_for_polling([row], now=now)
            return event
        token = states.new_token()
        [delivery] = states.create_claimed([row], token, now=now)
        transaction.on_commit(lambda: enqueue_batch([delivery.pk], token, Attempt.Trigger.MANUAL))
    return event
