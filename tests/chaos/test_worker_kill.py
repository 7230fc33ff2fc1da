"""SIGKILL of every worker process mid-load, then a new worker: nothing is lost."""

import pytest
from django.conf import settings

from delivery.models import Delivery
from tests.chaos.load import arrived, publish_load, tally, wait_for_all_succeeded
from tests.worker import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


def test_sigkill_mid_load_loses_nothing(own_workers, receiver):
    first = own_workers()
    events = publish_load(receiver, 150)  # 300 deliveries
    wait_until(lambda: arrived(receiver) >= 60, timeout=60, what="the load under way")

    first.kill()  # the main process, beat and every pool child, with no chance to clean up
    at_kill = arrived(receiver)
    in_flight = Delivery.objects.filter(status="sending").count()
    assert at_kill < 300, "the load was over before the kill; make it bigger"

    own_workers()
    wait_for_all_succeeded(events, timeout=90)
    lost, duplicates = tally(receiver, events, f"SIGKILL, {settings.DATABASES['default']['ENGINE']}; "
                                               f"killed after {at_kill} arrived, {in_flight} in flight")
    assert lost == 0
    assert Delivery.objects.exclude(status="succeeded").count() == 0
