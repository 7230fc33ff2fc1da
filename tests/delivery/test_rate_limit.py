"""Per-endpoint rate limits: reserved in the endpoint's row, excess goes back to the database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from delivery import publish, rate_limit, states
from delivery.models import Attempt, Delivery, EndpointState
from delivery.sending import deliver_batch
from subscriptions import create_endpoint, update_endpoint

Status = Delivery.Status


@pytest.mark.django_db
def test_reserve_counts_within_one_second_window(endpoint):
    assert rate_limit.reserve(endpoint.pk, 3, 2, second=1000) == 2
    assert rate_limit.reserve(endpoint.pk, 3, 2, second=1000) == 1
    assert rate_limit.reserve(endpoint.pk, 3, 5, second=1000) == 0
    assert rate_limit.reserve(endpoint.pk, 3, 2, second=1001) == 2


def deliveries_to(endpoint, count, **fields):
    return [
        Delivery.objects.create(event=publish("invoice.paid", {"n": n}, tenant="org_42"), endpoint=endpoint,
                                tenant_id=endpoint.tenant_id, **fields)
        for n in range(count)
    ]


@pytest.mark.django_db
def test_endpoints_without_a_limit_are_admitted_untouched(endpoint):
    deliveries = deliveries_to(endpoint, 3)
    admitted, held = rate_limit.admit(deliveries, now=5000)
    assert admitted == deliveries and held == []
    assert not EndpointState.objects.filter(pk=endpoint.pk).exists()  # no window kept for it at all


@pytest.mark.django_db
def test_a_batch_over_the_limit_sends_only_the_limit_and_reschedules_the_rest(receiver, invoice_paid):
    limited = create_endpoint("org_42", url=receiver.url("/limited"))
    update_endpoint(limited, rate_limit=2)
    rows = deliveries_to(limited, 5, status=Status.RETRYING, attempt_count=1)
    ids, token = states.claim_one(rows[0].pk)
    Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(status=Status.SENDING, lease_token=token)

    started = deliver_batch([r.pk for r in rows], token)

    assert started == 2
    receiver.wait_for(2, "/limited")
    assert Attempt.objects.filter(endpoint=limited).count() == 2
    held = Delivery.objects.filter(pk__in=[r.pk for r in rows], status=Status.RETRYING)
    assert held.count() == 3
    for delivery in held:
        assert delivery.attempt_count == 1 and delivery.lease_token is None
        assert delivery.next_attempt_at is not None


@pytest.mark.django_db
def test_the_window_row_is_made_once_then_each_reservation_is_one_update(endpoint):
    """The first reservation makes the endpoint's ``EndpointState`` row; later ones only update it."""
    def statements(second):
        with CaptureQueriesContext(connection) as queries:
            rate_limit.reserve(endpoint.pk, 3, 1, second=second)
        return [q["sql"].split()[0] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]

    assert "INSERT" in statements(1000)
    assert statements(1000) == statements(1001) == ["UPDATE", "SELECT"]
    assert EndpointState.objects.get(pk=endpoint.pk).rate_count == 1
