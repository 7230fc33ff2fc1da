"""``publish``'s one-statement path: the remembered event type never outlives a change of it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from delivery import publish, type_cache
from delivery.models import Event
from subscriptions import archive_event_type, ensure_event_type
from subscriptions.event_types import update_event_type
from subscriptions.models import EventType, Tenant

pytestmark = pytest.mark.django_db

STRICT = {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "integer"}}}


@pytest.fixture(autouse=True)
def fresh_cache():
    type_cache.forget_all()
    yield
    type_cache.forget_all()


def test_a_known_tenant_and_type_cost_one_statement(invoice_paid):
    publish("invoice.paid", {"n": 0}, tenant="org_42")
    with CaptureQueriesContext(connection) as captured:
        event = publish("invoice.paid", {"n": 1}, tenant="org_42")
    assert len(captured.captured_queries) == 1
    assert captured.captured_queries[0]["sql"].lstrip().upper().startswith("INSERT")
    assert event.tenant.uid == "org_42" and Event.objects.get(pk=event.pk).tenant == event.tenant


def test_a_schema_added_after_the_type_was_remembered_is_enforced(invoice_paid):
    publish("invoice.paid", {"amount": "x"}, tenant="org_42")
    update_event_type(EventType.objects.get(name="invoice.paid"), schema=STRICT)
    with pytest.raises(ValidationError, match="does not match the schema"):
        publish("invoice.paid", {"amount": "x"}, tenant="org_42")
    assert Event.objects.count() == 1


def test_a_schema_loosened_after_the_type_was_remembered_no_longer_refuses(db):
    ensure_event_type("invoice.paid", schema=STRICT)
    with pytest.raises(ValidationError):
        publish("invoice.paid", {"amount": "x"}, tenant="org_42")
    publish("invoice.paid", {"amount": 1}, tenant="org_42")  # remembered with the strict schema
    update_event_type(EventType.objects.get(name="invoice.paid"), schema=None)
    publish("invoice.paid", {"amount": "x"}, tenant="org_42")
    assert Event.objects.count() == 2


def test_a_type_archived_after_it_was_remembered_is_refused(invoice_paid):
    publish("invoice.paid", {"n": 1}, tenant="org_42")
    archive_event_type(EventType.objects.get(name="invoice.paid"))
    with pytest.raises(ValidationError, match="archived"):
        publish("invoice.paid", {"n": 2}, tenant="org_42")
    assert Event.objects.count() == 1


def test_a_type_deleted_and_made_again_is_read_again(invoice_paid):
    publish("invoice.paid", {"n": 1}, tenant="org_42")
    EventType.objects.filter(name="invoice.paid").delete()
    ensure_event_type("invoice.paid", schema=STRICT)
    with pytest.raises(ValidationError, match="does not match the schema"):
        publish("invoice.paid", {"n": 2}, tenant="org_42")


def test_a_new_tenant_is_created_and_a_tenant_object_is_kept(invoice_paid):
    first = publish("invoice.paid", {"n": 1}, tenant="org_new")
    assert Tenant.objects.filter(uid="org_new").count() == 1 and first.tenant.uid == "org_new"
    tenant = Tenant.objects.get(uid="org_new")
    second = publish("invoice.paid", {"n": 2}, tenant=tenant)
    assert second.tenant is tenant and Event.objects.get(pk=second.pk).tenant_id == tenant.pk


def test_a_used_key_on_the_fast_path_returns_the_first_event(invoice_paid):
    first = publish("invoice.paid", {"n": 1}, tenant="org_42", idempotency_key="k1")
    again = publish("invoice.paid", {"n": 2}, tenant="org_42", idempotency_key="k1")
    assert again.pk == first.pk and Event.objects.count() == 1
