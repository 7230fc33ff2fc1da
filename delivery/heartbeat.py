"""Failover: worker nodes announce themselves, and the leases of a silent one lapse at once.

Each worker node's main process upserts its row in ``WorkerNode`` every
``WEBHOOKS_HEARTBEAT_INTERVAL`` seconds from a thread of its own, so a node
busy with slow sends keeps announcing itself.  The dispatcher's tick treats a
node silent for ``WEBHOOKS_HEARTBEAT_TIMEOUT`` seconds as dead: the batches it
was sending and the batches claimed while it lived (it may have taken them
from the broker) lapse now (``states.expire_leases_of``), so the next claim of
lapsed leases hands them to live workers instead of after the lease's full
time.  A lapsed lease of a batch that was in fact still queued costs nothing
but work: its old token no longer holds the rows, so its task sends nothing.
"""

import logging
import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from delivery import node, states
from delivery.models import WorkerNode
from subscriptions import conf

logger = logging.getLogger("delivery.heartbeat")


def announce(now=None):
    """This node is alive (one upsert)."""
    now = now or timezone.now()
    WorkerNode.objects.bulk_create([WorkerNode(node=node.name(), started_at=now, last_seen=now)],
                                   update_conflicts=True, unique_fields=["node"], update_fields=["last_seen"])


def withdraw():
    """A node that stops cleanly says so: nothing of it is left to release."""
    WorkerNode.objects.filter(node=node.name()).delete()


def release_silent(now=None):
    """Make the leases of nodes silent past the timeout lapse now; returns how many deliveries."""
    settings = conf.get()
    now = now or timezone.now()
    silent = list(WorkerNode.objects.filter(last_seen__lt=now - timedelta(seconds=settings.heartbeat_timeout)))
    if not silent:
        return 0
    died_by = max(n.last_seen for n in silent) + timedelta(seconds=settings.heartbeat_interval)
    released = states.expire_leases_of([n.node for n in silent], claimed_before=died_by, now=now)
    WorkerNode.objects.filter(node__in=[n.node for n in silent], last_seen__lt=died_by).delete()
    logger.warning("worker nodes silent for over %ss: %s; %s leased deliveries released",
                   settings.heartbeat_timeout, ", ".join(n.node for n in silent), released)
    return released


class Beat:
    """The announcing thread of one worker node's main process."""

    def __init__(self):
        self.stopped = threading.Event()
        self.thread = None

    def start(self):
        # Only this thread touches the database: the main process forks pool children later on,
        # and they must not inherit a connection of its main thread.
        self.thread = threading.Thread(target=self._run, name="hookplatform-heartbeat", daemon=True)
        self.thread.start()

    def _run(self):
        interval = conf.get().heartbeat_interval
        while True:
            try:
                announce()
            except Exception as exc:  # the database is away: announce again next time
                logger.warning("heartbeat not written: %s: %s", type(exc).__name__, exc)
                connection.close()
            if self.stopped.wait(interval):
                break
        connection.close()

    def stop(self):
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(5)
        try:
            withdraw()
        except Exception as exc:
            logger.warning("heartbeat row not removed: %s: %s", type(exc).__name__, exc)
