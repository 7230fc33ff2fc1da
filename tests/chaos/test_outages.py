"""Outages of the receiver, the broker at publish time, and the database's connections."""

import time

import pytest
from django.conf import settings
from django.db import connection

from delivery.models import Attempt
from tests.chaos.load import arrived, publish_load, tally, wait_for_all_succeeded
from tests.receiver import Receiver
from tests.worker import during_broker_outage, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]
ENGINE = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]


def test_receiver_down_for_a_while_then_back(live_worker, receiver):
    port = receiver.port
    receiver.stop()  # connections to its port are refused from now on
    events = publish_load(receiver, 100)
    wait_until(lambda: Attempt.objects.filter(error_class="ConnectionError").count() >= 100, timeout=30,
               what="refused attempts")
    back = Receiver(port=port).start()
    try:
        wait_for_all_succeeded(events, timeout=60)
        lost, duplicates = tally(back, events, f"receiver down then back, {ENGINE}")
    finally:
        back.stop()
    assert lost == 0 and duplicates == 0


def test_broker_down_while_publishing(request, transactional_db, receiver):
    during_broker_outage(request, lambda restart: _publish_load_in_outage(receiver, restart))


def _publish_load_in_outage(receiver, restart):
    started = time.monotonic()
    events = publish_load(receiver, 100)
    publish_seconds = time.monotonic() - started
    time.sleep(1)
    assert arrived(receiver) == 0
    restart()
    wait_for_all_succeeded(events, timeout=60)
    lost, duplicates = tally(receiver, events, f"broker down while publishing ({publish_seconds:.1f} s "
                                               f"for 100 publishes), {ENGINE}")
    assert lost == 0


@pytest.mark.skipif(ENGINE != "postgresql", reason="pg_terminate_backend is PostgreSQL's")
def test_database_connections_killed_mid_load(live_worker, receiver):
    events = publish_load(receiver, 100)
    wait_until(lambda: arrived(receiver) >= 40, timeout=60, what="the load under way")
    killed = 0
    for _ in range(3):  # three rounds, so that reconnected workers lose their connections again
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            killed += cursor.fetchone()[0]
        time.sleep(0.5)
    assert killed > 0
    wait_for_all_succeeded(events, timeout=90)
    lost, duplicates = tally(receiver, events, f"{killed} database connections killed mid-load, {ENGINE}")
    assert lost == 0
