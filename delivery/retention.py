"""Retention: delete old attempts, finished deliveries and their events, in bounded batches.

Each batch is one short transaction that deletes at most ``batch_size`` rows
by primary key, so workers keep recording outcomes between batches (no long
lock on SQLite, no long-running transaction on PostgreSQL).  Waiting or
sending deliveries are never deleted, however old, nor their events, nor
their attempts: a disabled endpoint's kept deliveries survive, with their
history, until they are sent or cancelled.  A polling endpoint's deliveries
that its consumer has not committed yet are kept for the whole window after
they were made, then go like finished ones (``delivery.polling``).  A batch locks the deliveries it
touches and deletes only what still qualifies, so a delivery resent while the
batch was being chosen is not taken with its event.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from delivery.models import Attempt, Delivery, Event
from subscriptions import conf
from subscriptions.models import Endpoint

logger = logging.getLogger("delivery.retention")
Status = Delivery.Status
BATCH_SIZE = 2000


@dataclass
class PurgeReport:
    cutoff: object
    deleted: dict = field(default_factory=lambda: {"attempts": 0, "deliveries": 0, "events": 0})
    complete: bool = True


def _gone(cutoff):
    """Deliveries old enough to go: finished before the cutoff, or kept for a polling endpoint's consumer
    since before it (a consumer away for less than the retention window loses nothing)."""
    return (Q(status__in=Status.FINISHED, finished_at__lt=cutoff)
            | Q(status=Status.PENDING, endpoint__kind=Endpoint.Kind.POLLING, created_at__lt=cutoff))


def old_querysets(cutoff):
    """What may go, by table, oldest first (rows are time-ordered by primary key)."""
    return {
        "attempts": Attempt.objects.filter(started_at__lt=cutoff, delivery__status__in=Status.FINISHED),
        "deliveries": Delivery.objects.filter(_gone(cutoff)),
        "events": Event.objects.filter(created_at__lt=cutoff, fanned_out_at__isnull=False)
        .exclude(Exists(Delivery.objects.filter(event=OuterRef("pk")).exclude(_gone(cutoff)))),
    }


def count_old(cutoff):
    """Rows each table would lose (full counts: for a progress bar, not for every run)."""
    return {name: queryset.count() for name, queryset in old_querysets(cutoff).items()}


# The deliveries a batch of each table's rows stands on (locked before the delete).
_DELIVERIES_OF = {Attempt: "attempts__id__in", Delivery: "id__in", Event: "event_id__in"}


def _delete_batch(queryset, batch_size):
    """Delete up to ``batch_size`` rows that still qualify; returns (candidates, deleted)."""
    with transaction.atomic():
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return 0, 0
        # A resend (a conditional UPDATE of the delivery) waits for this transaction, or went first and
        # is seen by the delete below, which checks the conditions again.
        list(Delivery.objects.select_for_update().filter(**{_DELIVERIES_OF[queryset.model]: ids})
             .values_list("pk", flat=True))
        still = queryset.model.objects.filter(pk__in=list(queryset.filter(pk__in=ids).values_list("pk", flat=True)))
        deleted = still.delete()[1].get(queryset.model._meta.label, 0)
        return len(ids), deleted


def purge(older_than, *, batch_size=BATCH_SIZE, max_seconds=None, progress=None, pause=0.0):
    """Delete what is older than ``older_than`` seconds; returns a ``PurgeReport``.

    Attempts go first, then finished deliveries (so their cascade finds
    nothing left to collect), then events with no delivery left (none that is
    waiting, or that finished after the cutoff).
    ``progress(table, deleted_in_batch)`` is called after each batch;
    ``max_seconds`` bounds a run (the next run resumes where it stopped);
    ``pause`` sleeps between batches to leave the database to the workers.
    """
    window = conf.get().idempotency_window
    if older_than < window:
        raise ValueError(f"older_than must be at least the idempotency window ({window:g} s)")
    report = PurgeReport(cutoff=timezone.now() - timedelta(seconds=older_than))
    deadline = time.monotonic() + max_seconds if max_seconds else None
    for table, queryset in old_querysets(report.cutoff).items():
        while True:
            if deadline and time.monotonic() > deadline:
                report.complete = False
                return report
            candidates, deleted = _delete_batch(queryset, batch_size)
            report.deleted[table] += deleted
            if progress and deleted:
                progress(table, deleted)
            if candidates < batch_size:
                break
            if pause:
                time.sleep(pause)
    logger.info("purged", extra={"older_than_s": older_than, **report.deleted})
    return report


def purge_expired(max_seconds=300):
    """The beat job: purge by ``WEBHOOKS_RETENTION``, if set; bounded in time per run."""
    retention = conf.get().retention
    if retention is None:
        return None
    return purge(retention, max_seconds=max_seconds, pause=0.05)
