"""What people do to deliveries: resend one, recover an endpoint, cancel, send a test event."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from delivery import conf, leases
from delivery.handoff import enqueue_batch
from delivery.models import Attempt, Delivery, Event
from delivery.publishing import render_body
from subscriptions.event_types import live_event_type

Status = Delivery.Status


def retry_delivery(delivery):
    """Send a delivery again now, as a new attempt, whatever its state but ``sending``.

    The attempt uses the same ``webhook-id`` and body, so receivers can de-duplicate.
    """
    ids, token = leases.claim_one(delivery.pk)
    if not ids:
        raise ValidationError("This delivery is being sent right now.", code="busy")
    transaction.on_commit(lambda: enqueue_batch(ids, token, Attempt.Trigger.MANUAL))
    delivery.refresh_from_db()
    return delivery


def recover_endpoint(endpoint, *, since, progress=None):
    """Resend every failed delivery to ``endpoint`` created since ``since``; returns the count.

    ``progress(claimed)`` is called after each batch (the ``webhooks_recover`` command draws a bar).
    """
    if since > timezone.now():
        raise ValidationError("since must be in the past.", code="invalid")
    batch_size = conf.get().batch_size
    failed = Delivery.objects.filter(endpoint=endpoint, status=Status.FAILED, created_at__gte=since)
    total = 0
    while True:
        ids = list(failed.order_by("id").values_list("id", flat=True)[:batch_size])
        if not ids:
            return total
        token = leases.new_token()
        claimed = Delivery.objects.filter(id__in=ids, status=Status.FAILED).update(
            status=Status.SENDING, lease_token=token, next_attempt_at=None,
            lease_expires_at=timezone.now() + timedelta(seconds=conf.get().queue_lease),
        )
        total += claimed
        transaction.on_commit(lambda ids=ids, token=token: enqueue_batch(ids, token, Attempt.Trigger.MANUAL))
        if progress:
            progress(claimed)


def cancel_delivery(delivery):
    """Stop a waiting delivery from being tried again."""
    cancelled = Delivery.objects.filter(pk=delivery.pk, status__in=leases.WAITING).update(
        status=Status.CANCELLED, next_attempt_at=None, finished_at=timezone.now()
    )
    if not cancelled:
        raise ValidationError("Only pending or retrying deliveries can be cancelled.", code="invalid")
    delivery.refresh_from_db()
    return delivery


def send_test_event(endpoint, event_type, data=None):
    """Send an example event to this endpoint only; returns the event."""
    type_entry = live_event_type(event_type)
    now = timezone.now()
    data = data if data is not None else {"test": True, "message": "A test event from hookplatform."}
    with transaction.atomic():
        event = Event.objects.create(tenant_id=endpoint.tenant_id, event_type=type_entry.name,
                                     body=render_body(type_entry.name, data, now),
                                     occurred_at=now, fanned_out_at=now)
        token = leases.new_token()
        delivery = Delivery.objects.create(
            event=event, endpoint=endpoint, tenant_id=endpoint.tenant_id, status=Status.SENDING,
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=conf.get().queue_lease),
        )
        transaction.on_commit(lambda: enqueue_batch([delivery.pk], token, Attempt.Trigger.MANUAL))
    return event
