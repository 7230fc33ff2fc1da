"""An ordered endpoint's line through faults: SIGKILL of the worker sending its head, the broker losing
its data; the line waits (a lapsed lease, the dispatcher's next tick), then goes on; every event is
received once, in publish order."""

import time

import pytest

from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint
from tests.e2e.test_ordered_delivery import EVENTS, assert_received_once_in_order, publish_in_order
from tests.line_receiver import sender_process_group
from tests.worker import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]
HELD = 12  # the 13th request: the first event failed twice, so this is the 11th event's first


def test_sigkill_of_the_worker_sending_the_head_mid_line(own_workers, line_receiver):
    workers = [own_workers(), own_workers()]  # each with beat: one survives to find the lapsed lease
    receiver = line_receiver(fail_first=2, hold=HELD)
    create_endpoint("org_line", url=receiver.url, ordered=True)
    event_ids = publish_in_order(EVENTS)

    assert receiver.held.wait(60), "the line never reached the held request"
    group = sender_process_group(receiver.held_from_port, receiver.server.server_port)
    [killed] = [w for w in workers if w.process.pid == group]
    killed.kill()  # the main process, its beat and every pool child, mid-send
    receiver.release.set()

    assert_received_once_in_order(receiver, event_ids)
    head = Delivery.objects.get(event_id=event_ids[HELD - 2])
    wait_until(lambda: Attempt.objects.filter(delivery=head, error_class="WorkerLost").exists(), timeout=10,
               what="the killed send counted as a failed attempt")
    assert receiver.requested().count(event_ids[HELD - 2]) == 2  # the killed send, then its retry


def test_the_broker_losing_its_data_mid_line_only_delays_the_line(own_workers, line_receiver, private_broker):
    for _ in range(2):
        own_workers(extra_env={"CELERY_BROKER_URL": private_broker.url})
    receiver = line_receiver(fail_first=2)
    create_endpoint("org_line", url=receiver.url, ordered=True)
    event_ids = publish_in_order(EVENTS)
    wait_until(lambda: len(receiver.received()) >= 8, timeout=60, interval=0.05, what="the line under way")

    private_broker.stop()  # the handed-over heads and the queued tasks are gone
    time.sleep(1)
    private_broker.start()

    assert_received_once_in_order(receiver, event_ids)
