"""The dispatcher: a tick, run every second by Celery beat, that finds work in the database.

It hands to the workers (1) events whose on-commit hand-off was lost, (2)
deliveries whose sender vanished, (3) retries whose time has come.  Any
number of ticks may run at once, on any number of machines: every claim is
a ``SELECT … FOR UPDATE SKIP LOCKED`` and a conditional update.
"""

import logging
from datetime import timedelta

from django.utils import timezone

from delivery import conf, leases
from delivery.deliver import chunks
from delivery.fanout import fan_out
from delivery.handoff import enqueue_batch
from delivery.models import Event

logger = logging.getLogger("delivery.dispatcher")
OUTBOX_EVENTS_PER_TICK = 500


def stranded_events(now, limit=OUTBOX_EVENTS_PER_TICK):
    cutoff = now - timedelta(seconds=conf.get().outbox_grace)
    return list(Event.objects.filter(fanned_out_at__isnull=True, created_at__lte=cutoff)
                .order_by("created_at").values_list("id", flat=True)[:limit])


def dispatch(now=None):
    """One tick; returns how many events and deliveries it handed over."""
    settings = conf.get()
    now = now or timezone.now()
    counts = {"events": 0, "lapsed": 0, "due": 0}
    for event_id in stranded_events(now):
        ids, token = fan_out(event_id)
        for batch in chunks(ids, settings.batch_size):
            enqueue_batch(batch, token)
        counts["events"] += 1
    for name, claim in (("lapsed", leases.claim_expired), ("due", leases.claim_due)):
        for _ in range(settings.dispatch_max_batches):
            ids, token = claim(settings.batch_size, now)
            if ids:
                enqueue_batch(ids, token)
                counts[name] += len(ids)
            if len(ids) < settings.batch_size:
                break
    if any(counts.values()):
        logger.info("dispatched events=%(events)s lapsed=%(lapsed)s due=%(due)s", counts)
    return counts
