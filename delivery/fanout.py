"""Fan-out: one event becomes one delivery per matching endpoint."""

from datetime import timedelta

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from delivery import conf
from delivery.leases import new_token
from delivery.models import Delivery, Event
from delivery.returning import update_returning
from subscriptions.matching import matches
from subscriptions.models import Endpoint

# Plain text and integer columns: no conversion from the database needed.
EVENT_FIELDS = ("id", "tenant_id", "event_type", "body")


def fan_out(event_id):
    """Create the event's deliveries, already claimed for sending; returns ``(ids, token)``.

    Idempotent: the conditional update on the event lets exactly one caller
    (the on-commit task or the dispatcher) fan it out.
    """
    rows, token = _create_deliveries(event_id, send_now=0)
    return [row.pk for row in rows], token


def fan_out_for_sending(event_id, send_now):
    """Like ``fan_out``, but returns ``(rows, token)``; the first ``send_now`` rows are ready to send.

    Why: the caller sends them at once, and these rows were created just now
    under this token, so loading them again (``leases.start``) would only
    repeat what this transaction already knows.  Their event, endpoint and
    the endpoint's secrets are loaded, and their lease already covers the
    sending.
    """
    rows, token = _create_deliveries(event_id, send_now)
    prefetch_related_objects([row.endpoint for row in rows[:send_now]], "secrets")
    return rows, token


def _create_deliveries(event_id, send_now):
    now = timezone.now()
    token = new_token()
    settings = conf.get()
    with transaction.atomic():
        # Claim and read the event in one statement; the other fields load if someone asks.
        claimed = update_returning(Event.objects.filter(pk=event_id, fanned_out_at__isnull=True),
                                   {"fanned_out_at": now}, EVENT_FIELDS)
        if not claimed:
            return [], None
        event = Event.from_db(Event.objects.db, EVENT_FIELDS, claimed[0])
        # One query (a plain fetch, not a server-side cursor's three round trips).
        endpoints = [endpoint for endpoint in Endpoint.objects.filter(tenant_id=event.tenant_id, disabled=False)
                     if matches(endpoint.event_types, event.event_type)]
        queued_until = now + timedelta(seconds=settings.queue_lease)
        sending_until = now + timedelta(seconds=settings.execution_lease)
        rows = [
            Delivery(event=event, endpoint=endpoint, tenant_id=event.tenant_id,
                     status=Delivery.Status.SENDING, lease_token=token,
                     lease_expires_at=sending_until if i < send_now else queued_until, created_at=now)
            for i, endpoint in enumerate(endpoints)
        ]
        Delivery.objects.bulk_create(rows, batch_size=1000)
    return rows, token
