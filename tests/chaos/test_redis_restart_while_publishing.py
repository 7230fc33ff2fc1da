"""Redis lost mid-load while the host keeps publishing: the dispatcher re-enqueues both kinds of lost work.

``test_broker_restart.py`` restarts the broker after every event was
published.  Here events are also published *during* the outage (their
on-commit hand-off fails, so they wait in the outbox) while batches already
claimed are lost with the broker's queue (their leases lapse).  The worker's
own log must show the dispatcher picking up stranded events, and nothing
may be lost.
"""

import re
import time

import pytest
from django.conf import settings

from delivery import publish
from tests.chaos.load import arrived, publish_load, tally, wait_for_all_succeeded
from tests.worker import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

IN_OUTAGE = 60  # events published while the broker is down (and 60 before): 240 deliveries
DISPATCHED = re.compile(r"dispatched events=(\d+) lapsed=(\d+) due=(\d+)")


def dispatched(output):
    """Totals of the dispatcher's ticks in a worker's log: stranded events, lapsed and due deliveries."""
    totals = [0, 0, 0]
    for match in DISPATCHED.finditer(output):
        totals = [total + int(count) for total, count in zip(totals, match.groups())]
    return dict(zip(("events", "lapsed", "due"), totals))


def test_redis_lost_while_publishing_continues(own_workers, receiver, private_broker):
    worker = own_workers(extra_env={"CELERY_BROKER_URL": private_broker.url, "WEBHOOKS_QUEUE_LEASE": "4",
                                    "WEBHOOKS_LEASE_MARGIN": "2"})
    events = publish_load(receiver, 60)
    wait_until(lambda: arrived(receiver) >= 30, timeout=60, what="the load under way")

    private_broker.stop()  # the queue, the unacknowledged messages: all gone
    started = time.monotonic()
    events += [publish("load.tick", {"n": 1000 + n}, tenant="org_load").id for n in range(IN_OUTAGE)]
    outage_publish = time.monotonic() - started
    time.sleep(1)
    private_broker.start()

    wait_for_all_succeeded(events, timeout=120)
    lost, duplicates = tally(receiver, events, f"Redis lost while publishing, "
                                               f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    picked_up = dispatched(worker.output())
    print(f"dispatcher re-enqueued: {picked_up}; {IN_OUTAGE} publishes in the outage took {outage_publish:.1f} s")
    assert lost == 0
    assert picked_up["events"] >= IN_OUTAGE, "the events published in the outage were not found in the outbox"
    assert outage_publish < 20, "publishing waited on the dead broker"
    assert worker.process.poll() is None, "the worker died with its broker:\n" + worker.output()[-3000:]
