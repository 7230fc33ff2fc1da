"""Parking: ``delivery`` hears the endpoint's signals and keeps its waiting deliveries in step, in one transaction."""

import pytest
from django.db import transaction

from delivery import signals
from delivery.models import Delivery
from subscriptions import disable_endpoint, enable_endpoint

pytestmark = pytest.mark.django_db
Status = Delivery.Status


@pytest.fixture
def enabled_heard():
    heard = []

    def receive(sender, endpoint, **kwargs):
        heard.append(endpoint.pk)

    signals.endpoint_enabled.connect(receive)
    yield heard
    signals.endpoint_enabled.disconnect(receive)


def test_a_disable_that_rolls_back_parks_nothing(make_delivery, endpoint):
    waiting = make_delivery(Status.RETRYING, attempt_count=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        disable_endpoint(endpoint, reason="by hand")
        assert Delivery.objects.get(pk=waiting.pk).next_attempt_at is None  # parked inside the transaction
        raise RuntimeError("the caller's transaction fails")
    assert Delivery.objects.get(pk=waiting.pk).next_attempt_at is not None


def test_endpoint_enabled_fires_on_commit_for_a_disabled_endpoint_only(make_delivery, endpoint, enabled_heard,
                                                                        django_capture_on_commit_callbacks):
    make_delivery(Status.PENDING)
    disable_endpoint(endpoint, reason="by hand")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        enable_endpoint(endpoint)
    assert enabled_heard == [] and len(pending) == 1  # not before the commit
    pending[0]()
    assert enabled_heard == [endpoint.pk]
    with django_capture_on_commit_callbacks(execute=True):
        enable_endpoint(endpoint)  # enabled already: nothing to announce
    assert enabled_heard == [endpoint.pk]
    assert Delivery.objects.get(endpoint=endpoint).next_attempt_at is not None
