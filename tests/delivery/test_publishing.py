"""``publish``: validation, the outbox row, idempotency and the caller's transaction."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from delivery import publish
from delivery.models import Delivery, Event
from subscriptions import archive_event_type, ensure_event_type
from subscriptions.models import Tenant

pytestmark = pytest.mark.django_db


def test_writes_one_outbox_row_with_the_exact_body(invoice_paid, handed_over, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = publish("invoice.paid", {"invoice_id": "in_1", "amount": 4200, "note": "café"}, tenant="org_42")
    event.refresh_from_db()
    body = json.loads(event.body)
    assert body["type"] == "invoice.paid" and body["data"]["note"] == "café"
    assert body["timestamp"].endswith("Z")
    assert event.id.startswith("msg_") and event.fanned_out_at is None
    assert Tenant.objects.get(uid="org_42") == event.tenant
    assert Delivery.objects.count() == 0  # fan-out is the worker's job
    assert handed_over == [("fan_out", event.id)]


def test_nothing_is_handed_over_before_commit(invoice_paid, handed_over, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish("invoice.paid", {"n": 1}, tenant="org_42")
    assert handed_over == [] and len(callbacks) == 1


@pytest.mark.parametrize("event_type, data, message", [
    ("invoice.unknown", {}, "Unknown event type 'invoice.unknown'"),
    ("invoice.paid", [1, 2], "data must be a JSON object"),
    ("invoice.paid", "text", "data must be a JSON object"),
    ("invoice.paid", None, "data must be a JSON object"),
    ("invoice.paid", {"n": float("nan")}, "not serializable as JSON"),
    ("invoice.paid", {"n": object()}, "not serializable as JSON"),
])
def test_bad_input_names_the_problem(invoice_paid, event_type, data, message):
    with pytest.raises(ValidationError, match=message):
        publish(event_type, data, tenant="org_42")
    assert Event.objects.count() == 0


def test_archived_type_is_refused(invoice_paid):
    archive_event_type(invoice_paid)
    with pytest.raises(ValidationError, match="archived"):
        publish("invoice.paid", {}, tenant="org_42")


def test_schema_is_enforced(db):
    ensure_event_type("invoice.paid", schema={
        "type": "object", "required": ["amount"],
        "properties": {"amount": {"type": "integer", "minimum": 0}},
    })
    publish("invoice.paid", {"amount": 5}, tenant="org_42")
    with pytest.raises(ValidationError, match=r"schema of 'invoice.paid' at \(root\).*'amount' is a required"):
        publish("invoice.paid", {}, tenant="org_42")
    with pytest.raises(ValidationError, match="at amount: -1 is less than the minimum"):
        publish("invoice.paid", {"amount": -1}, tenant="org_42")
    assert Event.objects.count() == 1


def test_oversized_payload_is_refused(invoice_paid, settings):
    settings.WEBHOOKS_MAX_PAYLOAD_BYTES = 1000
    publish("invoice.paid", {"blob": "x" * 900}, tenant="org_42")
    with pytest.raises(ValidationError, match="over the limit of 1000 bytes"):
        publish("invoice.paid", {"blob": "x" * 1000}, tenant="org_42")
    with pytest.raises(ValidationError, match="over the limit"):  # counted in bytes, not characters
        publish("invoice.paid", {"blob": "é" * 600}, tenant="org_42")


def test_default_payload_cap_is_256_kb(invoice_paid):
    with pytest.raises(ValidationError, match="262144 bytes"):
        publish("invoice.paid", {"blob": "x" * 256 * 1024}, tenant="org_42")


@pytest.mark.parametrize("tenant", ["", "org 42", "x" * 129])
def test_bad_tenant_id(invoice_paid, tenant):
    with pytest.raises(ValidationError, match="Tenant ids"):
        publish("invoice.paid", {}, tenant=tenant)


@pytest.mark.parametrize("key", ["", "k" * 256, 42])
def test_bad_idempotency_key(invoice_paid, key):
    with pytest.raises(ValidationError, match="idempotency_key"):
        publish("invoice.paid", {}, tenant="org_42", idempotency_key=key)


def test_same_key_returns_the_first_event_and_hands_over_nothing_new(
        invoice_paid, handed_over, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = publish("invoice.paid", {"n": 1}, tenant="org_42", idempotency_key="in_1-paid")
        again = publish("invoice.paid", {"n": 2}, tenant="org_42", idempotency_key="in_1-paid")
    assert again.pk == first.pk and json.loads(again.body)["data"] == {"n": 1}
    assert Event.objects.count() == 1
    assert handed_over == [("fan_out", first.id)]


def test_same_key_for_another_tenant_is_another_event(invoice_paid):
    first = publish("invoice.paid", {}, tenant="org_1", idempotency_key="k")
    other = publish("invoice.paid", {}, tenant="org_2", idempotency_key="k")
    assert first.pk != other.pk


def test_key_is_free_again_after_the_window(invoice_paid, settings):
    first = publish("invoice.paid", {"n": 1}, tenant="org_42", idempotency_key="k")
    Event.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    second = publish("invoice.paid", {"n": 2}, tenant="org_42", idempotency_key="k")
    assert second.pk != first.pk
    assert Event.objects.get(pk=first.pk).idempotency_key is None
    assert publish("invoice.paid", {"n": 3}, tenant="org_42", idempotency_key="k").pk == second.pk


def test_key_within_the_window_still_holds(invoice_paid):
    first = publish("invoice.paid", {}, tenant="org_42", idempotency_key="k")
    Event.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=23))
    assert publish("invoice.paid", {}, tenant="org_42", idempotency_key="k").pk == first.pk


def test_rolled_back_publish_leaves_nothing(invoice_paid, handed_over, django_capture_on_commit_callbacks):
    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort):
        with transaction.atomic():
            publish("invoice.paid", {}, tenant="org_new", idempotency_key="k")
            raise Abort
    assert Event.objects.count() == 0
    assert not Tenant.objects.filter(uid="org_new").exists()
    assert handed_over == []
    # The key was never taken.
    assert publish("invoice.paid", {}, tenant="org_new", idempotency_key="k").pk


def test_public_verb_is_exported():
    import delivery
    from delivery.publishing import publish as the_function

    assert delivery.publish is the_function
