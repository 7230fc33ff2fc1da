"""Endpoint health: a success ends the failure streak; a long streak or a 410 disables the endpoint."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from delivery import publish, states
from delivery.models import Delivery, EndpointState
from subscriptions import enable_endpoint
from tests.delivery.conftest import answer, attempt

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("short_schedule")]
Status = Delivery.Status


def test_410_gone_disables_the_endpoint_with_a_reason(make_delivery, endpoint, heard,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # endpoint_disabled fires on commit
        attempt(make_delivery(), answer(410))
    endpoint.refresh_from_db()
    assert endpoint.disabled and "410" in endpoint.disabled_reason and endpoint.disabled_at
    assert [(n, kw["endpoint"].pk, kw["reason"]) for n, kw in heard] == [
        ("disabled", endpoint.pk, endpoint.disabled_reason)]


def test_long_failure_streak_disables_and_keeps_pending_deliveries(make_delivery, endpoint, settings, heard,
                                                                   django_capture_on_commit_callbacks):
    settings.WEBHOOKS_DISABLE_AFTER = 3600
    delivery = attempt(make_delivery(), answer(500))
    endpoint.refresh_from_db()
    assert endpoint.send_state.failing_since and not endpoint.disabled
    # An hour of failures and a newer waiting delivery later:
    an_hour_ago = timezone.now() - timedelta(seconds=3601)
    assert EndpointState.objects.filter(pk=endpoint.pk).update(failing_since=an_hour_ago) == 1
    newer = publish("invoice.paid", {"n": 2}, tenant="org_42")
    Delivery.objects.create(event=newer, endpoint=endpoint, tenant_id=endpoint.tenant_id,
                            status=Status.PENDING, next_attempt_at=timezone.now() + timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=True):  # endpoint_disabled fires on commit
        delivery = attempt(delivery, answer(500))

    endpoint.refresh_from_db()
    assert endpoint.disabled and "Every attempt has failed since" in endpoint.disabled_reason
    assert [n for n, _ in heard] == ["disabled"]
    kept = Delivery.objects.filter(endpoint=endpoint)
    assert {d.status for d in kept} == {Status.RETRYING, Status.PENDING}  # kept, not thrown away
    assert {d.next_attempt_at for d in kept} == {None}  # parked
    assert states.claim_due(10, timezone.now() + timedelta(days=1))[0] == []

    enable_endpoint(endpoint)
    endpoint.refresh_from_db()
    assert not endpoint.disabled and endpoint.send_state.failing_since is None and endpoint.disabled_reason == ""
    ids, _ = states.claim_due(10)
    assert sorted(ids) == sorted(d.pk for d in kept)


def test_a_success_ends_the_failure_streak(make_delivery, endpoint, settings):
    settings.WEBHOOKS_DISABLE_AFTER = 3600
    delivery = attempt(make_delivery(), answer(500))
    fifty_minutes_ago = timezone.now() - timedelta(seconds=3000)
    assert EndpointState.objects.filter(pk=endpoint.pk).update(failing_since=fifty_minutes_ago) == 1
    attempt(delivery, answer(200))
    endpoint.refresh_from_db()
    assert endpoint.send_state.failing_since is None and not endpoint.disabled


def test_enabling_restarts_the_streak_in_its_transaction_even_for_an_enabled_endpoint(make_delivery, endpoint):
    """``delivery`` hears ``endpoint_enabling``: the reset commits or rolls back with the enable."""
    attempt(make_delivery(), answer(500))
    with pytest.raises(RuntimeError), transaction.atomic():
        enable_endpoint(endpoint)  # enabled already: the streak starts afresh all the same
        assert EndpointState.objects.get(pk=endpoint.pk).failing_since is None
        raise RuntimeError("the caller's transaction fails")
    assert EndpointState.objects.get(pk=endpoint.pk).failing_since is not None
    enable_endpoint(endpoint)
    assert EndpointState.objects.get(pk=endpoint.pk).failing_since is None
