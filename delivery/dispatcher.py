"""The dispatcher: a tick, run every second by Celery beat, that finds work in the database.

It hands to the workers (1) events whose on-commit hand-off was lost, (2)
deliveries whose sender vanished, (3) retries whose time has come, (4) the heads
of ordered endpoints' lines that may go (``delivery/lines.py``).  Any
number of ticks may run at once, on any number of machines: every claim is
a ``SELECT … FOR UPDATE SKIP LOCKED`` and a conditional update.

Events waiting in the outbox are not fanned out here but asked for again:
the workers' fan-out takes them in batches, oldest first, and asks for more
while some wait, so a backlog after an outage drains at full speed.
"""

import logging
from datetime import timedelta

from django.utils import timezone

from delivery import heartbeat, states
from delivery.handoff import enqueue_batch, fan_out_request
from delivery.models import Event
from subscriptions import conf

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
    counts = {"events": 0, "lapsed": 0, "due": 0, "heads": 0}
    heartbeat.release_silent(now)  # a dead node's leases lapse now, for the claim of lapsed ones below
    stranded = stranded_events(now)
    if stranded:
        # Their hand-off was lost, or the task of the fan-out request that stood for them.
        fan_out_request.take()
        fan_out_request.ask()
        counts["events"] = len(stranded)
    for name, claim in (("lapsed", states.claim_expired), ("due", states.claim_due),
                        ("heads", states.claim_heads)):
        for _ in range(settings.dispatch_max_batches):
            ids, token = claim(settings.batch_size, now)
            if ids:
                enqueue_batch(ids, token)
                counts[name] += len(ids)
            if len(ids) < settings.batch_size:
                break
    if any(counts.values()):
        logger.info("dispatched events=%(events)s lapsed=%(lapsed)s due=%(due)s heads=%(heads)s", counts)
    return counts
