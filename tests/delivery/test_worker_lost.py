"""C1 (the crash-loop half), in-process: a lapsed lease whose send had started counts as a failed attempt."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import states
from delivery.models import Attempt, Delivery
from delivery.sending import deliver_batch
from subscriptions import create_endpoint

pytestmark = pytest.mark.django_db
Status = Delivery.Status


def _lapse(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_send_that_died_is_counted_not_sent_again(make_delivery, receiver, settings):
    """C1: the next worker records WorkerLost and schedules the retry; a lost queue task is simply sent."""
    settings.WEBHOOKS_RETRY_SCHEDULE = "10"
    endpoint = create_endpoint("org_42", url=receiver.url("/hook"))
    started, queued = make_delivery(to=endpoint), make_delivery(to=create_endpoint("org_42", url=receiver.url("/q")))
    ids, token = states.claim_due(10)
    states.start([started.pk], token)  # this worker dies while sending ``started``; ``queued`` never began
    _lapse(started), _lapse(queued)

    ids, token = states.claim_expired(10)
    assert sorted(ids) == sorted([started.pk, queued.pk])
    deliver_batch(ids, token)

    started.refresh_from_db()
    assert (started.status, started.attempt_count, started.send_started_at) == (Status.RETRYING, 1, None)
    [lost] = Attempt.objects.filter(delivery=started)
    assert lost.error_class == "WorkerLost" and not lost.succeeded
    assert receiver.to("/hook") == []  # not sent again straight away
    assert len(receiver.to("/q")) == 1 and Delivery.objects.get(pk=queued.pk).status == Status.SUCCEEDED


def test_the_last_lost_attempt_exhausts_the_delivery(make_delivery, receiver, settings):
    """C1: with no retry left, a send that died ends the delivery failed."""
    settings.WEBHOOKS_RETRY_SCHEDULE = ""
    delivery = make_delivery(to=create_endpoint("org_42", url=receiver.url("/hook")))
    ids, token = states.claim_due(10)
    states.start(ids, token)
    _lapse(delivery)
    ids, token = states.claim_expired(10)
    deliver_batch(ids, token)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Status.FAILED, 1) and delivery.finished_at
