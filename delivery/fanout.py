"""Fan-out: one event becomes one delivery per matching endpoint."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from delivery import conf
from delivery.leases import new_token
from delivery.models import Delivery, Event
from subscriptions.matching import matches
from subscriptions.models import Endpoint


def fan_out(event_id):
    """Create the event's deliveries, already claimed for sending; returns ``(ids, token)``.

    Idempotent: the conditional update on the event lets exactly one caller
    (the on-commit task or the dispatcher) fan it out.
    """
    now = timezone.now()
    token = new_token()
    with transaction.atomic():
        if not Event.objects.filter(pk=event_id, fanned_out_at__isnull=True).update(fanned_out_at=now):
            return [], None
        event = Event.objects.only("id", "tenant_id", "event_type").get(pk=event_id)
        endpoints = Endpoint.objects.filter(tenant_id=event.tenant_id, disabled=False).only(
            "id", "event_types"
        )
        lease_until = now + timedelta(seconds=conf.get().queue_lease)
        rows = [
            Delivery(event_id=event.id, endpoint_id=endpoint.id, tenant_id=event.tenant_id,
                     status=Delivery.Status.SENDING, lease_token=token,
                     lease_expires_at=lease_until, created_at=now)
            for endpoint in endpoints.iterator(chunk_size=2000)
            if matches(endpoint.event_types, event.event_type)
        ]
        Delivery.objects.bulk_create(rows, batch_size=1000)
    return [row.pk for row in rows], token
