"""H3: one delivery the database refuses never poisons its batch (recording is isolated per delivery)."""

import dataclasses

import pytest

from delivery import states
from delivery.models import Attempt, Delivery
from delivery.recording import record_outcomes
from subscriptions import create_endpoint
from tests.delivery.conftest import answer, request_for

Status = Delivery.Status


@pytest.mark.django_db
def test_a_refused_row_fails_alone_and_its_batch_mates_are_recorded(make_delivery, endpoint, invoice_paid):
    """H3: the database refuses one attempt row: only that delivery fails (RecordingError), the others succeed."""
    other = create_endpoint("org_other", url="http://127.0.0.1:9/other")
    rows = [make_delivery(), make_delivery(to=other)]
    ids, token = states.claim_due(10)
    held = states.start(ids, token)
    good, bad = (d for d in held if d.endpoint_id == other.pk), (d for d in held if d.endpoint_id == endpoint.pk)
    good, bad = next(good), next(bad)
    refused = dataclasses.replace(answer(200), duration_ms=-1)  # breaks the column's CHECK (>= 0)

    record_outcomes([bad, good], [(request_for(bad), refused), (request_for(good), answer(200))], token)

    statuses = dict(Delivery.objects.filter(pk__in=[r.pk for r in rows]).values_list("endpoint_id", "status"))
    assert statuses == {other.pk: Status.SUCCEEDED, endpoint.pk: Status.RETRYING}
    [failed] = Attempt.objects.filter(delivery=bad)
    assert failed.error_class == "RecordingError" and not failed.succeeded
    assert Delivery.objects.get(pk=bad.pk).lease_token is None  # recorded, so not claimed again on lapse
