"""Failover: SIGKILL of every worker under load, with production-length leases; a new worker delivers
everything long before those leases would lapse, because the dead node stopped announcing itself."""

import time

import pytest
from django.conf import settings

from delivery.models import Delivery, WorkerNode
from tests.chaos.load import arrived, publish_load, tally, wait_for_all_succeeded
from tests.worker import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

# The leases a deployment runs with: without the heartbeat, a killed node's queued batches would wait
# out QUEUE_LEASE (120 s) and its started ones the execution lease (4 x 3 s + 60 s), beyond the bound below.
FAILOVER_ENV = {"WEBHOOKS_QUEUE_LEASE": "120", "WEBHOOKS_LEASE_MARGIN": "60",
                "WEBHOOKS_HEARTBEAT_INTERVAL": "0.5", "WEBHOOKS_HEARTBEAT_TIMEOUT": "2"}
BOUND_S = 40  # generous for a busy CI machine; bench/failover.py measures the seconds


def test_every_worker_killed_under_load_a_new_one_delivers_all(own_workers, receiver):
    first = own_workers(extra_env=FAILOVER_ENV)
    wait_until(lambda: WorkerNode.objects.exists(), timeout=10, what="the node announcing itself")
    events = publish_load(receiver, 150, delay=0.05)  # 300 deliveries
    wait_until(lambda: arrived(receiver) >= 40, timeout=60, what="the load under way")

    first.kill()  # main process, beat, every pool child and the heartbeat thread, with no clean-up
    at_kill = arrived(receiver)
    in_flight = Delivery.objects.filter(status="sending", send_started_at__isnull=False).count()
    held = Delivery.objects.filter(status="sending").count()
    assert at_kill < 300, "the load was over before the kill; make it bigger"

    own_workers(extra_env=FAILOVER_ENV)
    started = time.monotonic()
    wait_for_all_succeeded(events, timeout=BOUND_S)
    print(f"\nall delivered {time.monotonic() - started:.1f} s after the new worker was ready")
    lost, duplicates = tally(receiver, events, f"failover, {settings.DATABASES['default']['ENGINE']}; killed after "
                                               f"{at_kill} arrived, {in_flight} in flight, {held} leased")
    assert lost == 0
    assert duplicates <= in_flight
