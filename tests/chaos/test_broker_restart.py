"""Redis restarted mid-load, with everything it held lost: the database re-enqueues it all."""

import time

import pytest
from django.conf import settings

from tests.chaos.load import arrived, publish_load, tally, wait_for_all_succeeded
from tests.worker import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


def test_broker_restart_mid_load_loses_nothing(own_workers, receiver, private_broker):
    worker = own_workers(extra_env={"CELERY_BROKER_URL": private_broker.url})
    events = publish_load(receiver, 150)
    wait_until(lambda: arrived(receiver) >= 60, timeout=60, what="the load under way")

    private_broker.stop()  # every queued and unacknowledged message is gone
    time.sleep(1)
    private_broker.start()

    wait_for_all_succeeded(events, timeout=90)
    lost, duplicates = tally(receiver, events, f"broker restart, {settings.DATABASES['default']['ENGINE']}")
    assert lost == 0
    assert worker.process.poll() is None, "the worker died with its broker:\n" + worker.output()[-3000:]
