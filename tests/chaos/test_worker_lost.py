"""C1 (the crash-loop half): a receiver that kills the worker sending to it cannot loop a delivery forever."""

import os
import signal

import psutil
import pytest

from delivery import publish
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type
from tests.receiver import RawServer
from tests.worker import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

# Three attempts, one second apart; a send may take 5 s (4 x 1 s + 1 s) before its lease lapses.
SHORT = {"WEBHOOKS_RETRY_SCHEDULE": "1,1", "WEBHOOKS_TIMEOUT": "1", "WEBHOOKS_LEASE_MARGIN": "1",
         "WEBHOOKS_QUEUE_LEASE": "3"}


def sigkill_the_sender(worker):
    """A receiver's answer: SIGKILL the worker process whose socket is on the other end."""

    def behaviour(conn):
        port = conn.getpeername()[1]
        for process in psutil.Process(worker.process.pid).children(recursive=True):
            if any(c.laddr and c.laddr.port == port for c in process.net_connections(kind="tcp")):
                os.kill(process.pid, signal.SIGKILL)
                return

    return behaviour


def test_a_receiver_that_kills_its_sender_exhausts_the_delivery(own_workers):
    """C1: every attempt dies with its worker; each counts (WorkerLost), and the delivery ends failed."""
    worker = own_workers(extra_env=SHORT)
    killer = RawServer(sigkill_the_sender(worker)).start()
    try:
        ensure_event_type("crash.me")
        endpoint = create_endpoint("org_crash", url=killer.url())
        event = publish("crash.me", {"n": 1}, tenant="org_crash")

        delivery = wait_until(lambda: Delivery.objects.filter(event=event, status="failed").first(),
                              timeout=45, interval=0.25, what="the delivery failed after its schedule")
    finally:
        killer.stop()
    assert delivery.attempt_count == 3 and delivery.endpoint_id == endpoint.pk
    attempts = list(Attempt.objects.filter(delivery=delivery).order_by("id"))
    assert [a.error_class for a in attempts] == ["WorkerLost"] * 3
    assert "killed" in attempts[0].error_message
    assert len(killer.requests) == 3  # sent once per attempt, never again after the last
    assert "exited with 'signal 9" in worker.output()  # the receiver really killed its senders
