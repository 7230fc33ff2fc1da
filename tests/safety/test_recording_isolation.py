"""H3: one delivery the database refuses never poisons its batch; no valid input overflows a column."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from delivery.models import Attempt, Delivery, Event
from subscriptions import create_endpoint, ensure_event_type
from subscriptions.redaction import REDACTED
from tests.worker import wait_until

Status = Delivery.Status


def _due_together(endpoints):
    """One event per endpoint (each of its own tenant), all due at the same moment: one claim takes them all."""
    now = timezone.now()
    with transaction.atomic():
        for endpoint in endpoints:
            event = Event.objects.create(tenant_id=endpoint.tenant_id, event_type="batch.mate",
                                         body='{"type":"batch.mate"}', fanned_out_at=now)
            Delivery.objects.create(event=event, endpoint=endpoint, tenant_id=endpoint.tenant_id,
                                    status=Status.PENDING, next_attempt_at=now)


@pytest.mark.e2e
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not enforce varchar lengths")
def test_a_url_that_grows_by_redaction_is_recorded_with_its_batch_mates(live_worker, receiver):
    """H3: the audit's 2,048-character URL with ``u:p@`` is refused; the longest one accepted is recorded.

    The longest URL accepted is the one whose shown form (``u:<redacted>@``)
    is 2,048 characters; its delivery and another tenant's share one batch.
    """
    ensure_event_type("batch.mate")
    base = f"http://u:p@127.0.0.1:{receiver.port}/"
    with pytest.raises(ValidationError, match="redacted"):
        create_endpoint("org_long_url", url=base + "a" * (2048 - len(base)))
    grows_by = len(REDACTED) - len("p")
    hostile = create_endpoint("org_long_url", url=base + "a" * (2048 - len(base) - grows_by))
    other = create_endpoint("org_bystander", url=receiver.url("/bystander"))
    _due_together([hostile, other])

    wait_until(lambda: Delivery.objects.filter(status=Status.SUCCEEDED).count() == 2, timeout=20,
               what="both deliveries recorded as succeeded")
    [logged] = Attempt.objects.filter(endpoint=hostile)
    assert len(logged.request_url) == 2048 and ":<redacted>@" in logged.request_url
    assert Attempt.objects.filter(endpoint=other, succeeded=True).count() == 1
    assert len(receiver.to("/bystander")) == 1  # recorded, so never sent again
