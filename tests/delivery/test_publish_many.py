"""``publish_many``: order, one INSERT, all-or-nothing validation, idempotency, the caller's transaction."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery import publish, publish_many
from delivery.models import Event
from subscriptions import ensure_event_type
from subscriptions.models import Tenant

pytestmark = pytest.mark.django_db


def items(count, tenant="org_42", **extra):
    return [{"event_type": "invoice.paid", "data": {"n": i}, "tenant": tenant, **extra} for i in range(count)]


def test_returns_the_events_in_order_with_one_statement(invoice_paid, handed_over, django_capture_on_commit_callbacks):
    Tenant.objects.create(uid="org_42")
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as captured:
        events = publish_many(items(5))
    assert [json.loads(e.body)["data"]["n"] for e in events] == [0, 1, 2, 3, 4]
    assert {e.pk for e in events} == set(Event.objects.values_list("pk", flat=True))
    outbox = ('INSERT INTO "hookplatform_event"', 'INSERT OR IGNORE INTO "hookplatform_event"',
              'COPY "hookplatform_event"')
    writes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith(outbox)]
    assert len(writes) == 1
    assert handed_over == [("fan_out", events[0].id)]  # one request stands for the whole call


def test_several_tenants_and_new_ones(invoice_paid):
    events = publish_many(items(2, "org_a") + items(1, "org_b") + [
        {"event_type": "invoice.paid", "data": {}, "tenant": Tenant.objects.create(uid="org_c")}])
    assert [e.tenant.uid for e in events] == ["org_a", "org_a", "org_b", "org_c"]
    assert Event.objects.filter(tenant__uid="org_b").count() == 1


def test_a_bad_item_refuses_the_call_and_names_its_index(invoice_paid):
    ensure_event_type("invoice.sent", schema={"type": "object", "required": ["amount"]})
    batch = items(4)
    batch[1] = {"event_type": "invoice.sent", "data": {}, "tenant": "org_42"}
    batch[3] = {"event_type": "invoice.nope", "data": {}, "tenant": "bad tenant", "idempotency_key": ""}
    with pytest.raises(ValidationError) as caught:
        publish_many(batch)
    errors = caught.value.message_dict
    assert set(errors) == {"1.data", "3.event_type"}
    assert "does not match the schema" in errors["1.data"][0]
    assert Event.objects.count() == 0 and not Tenant.objects.filter(uid="org_42").exists()


@pytest.mark.parametrize("item, field", [
    ("not a dict", "0.item"),
    ({"event_type": "invoice.paid", "data": {}}, "0.tenant"),
    ({"event_type": "invoice.paid", "data": {}, "tenant": "t", "colour": 1}, "0.colour"),
    ({"event_type": "invoice.paid", "data": [1], "tenant": "t"}, "0.data"),
    ({"event_type": "invoice.paid", "data": {}, "tenant": "t", "idempotency_key": "x" * 256}, "0.idempotency_key"),
    ({"event_type": "invoice.paid", "data": {}, "tenant": "t", "occurred_at": "yesterday"}, "0.occurred_at"),
    ({"event_type": "invoice.paid", "data": {}, "tenant": "bad tenant"}, "0.tenant"),
])
def test_each_kind_of_bad_item(invoice_paid, item, field):
    with pytest.raises(ValidationError) as caught:
        publish_many([item])
    assert list(caught.value.message_dict) == [field]
    assert Event.objects.count() == 0


def test_a_bad_item_after_many_streamed_ones_takes_them_all_back_and_the_callers_transaction_goes_on(
        invoice_paid, handed_over, django_capture_on_commit_callbacks):
    """Without keys the rows go to the database while later items are still checked: item 1,400 is bad
    when 1,399 rows (about a megabyte) have been sent."""
    batch = [{**item, "data": {"n": item["data"]["n"], "pad": "p" * 700}} for item in items(1500, "org_new")]
    batch[1400] = {**batch[1400], "data": "not an object"}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with pytest.raises(ValidationError) as caught:
            publish_many(batch)
        Tenant.objects.create(uid="org_host")  # the host's own write, in the same transaction, after the refusal
    assert list(caught.value.message_dict) == ["1400.data"]
    assert Event.objects.count() == 0 and not Tenant.objects.filter(uid="org_new").exists()
    assert Tenant.objects.filter(uid="org_host").exists() and handed_over == []
    del batch[1400]
    assert [json.loads(e.body)["data"]["n"] for e in publish_many(batch)] == [*range(1400), *range(1401, 1500)]
    assert Event.objects.count() == 1499


def test_not_a_list_is_refused(invoice_paid):
    with pytest.raises(ValidationError):
        publish_many({"event_type": "invoice.paid"})


def test_empty_call_writes_nothing(invoice_paid, handed_over, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_many([]) == []
    assert handed_over == []


def test_the_same_key_inside_one_call_is_one_event(invoice_paid):
    events = publish_many(items(3, idempotency_key="k"))
    assert events[0].pk == events[1].pk == events[2].pk
    assert Event.objects.count() == 1 and json.loads(Event.objects.get().body)["data"] == {"n": 0}


def test_keys_used_by_an_earlier_call_or_publish_answer_the_first_event(invoice_paid):
    first = publish("invoice.paid", {"n": 1}, tenant="org_42", idempotency_key="a")
    [again_a, new_b] = publish_many([
        {"event_type": "invoice.paid", "data": {"n": 2}, "tenant": "org_42", "idempotency_key": "a"},
        {"event_type": "invoice.paid", "data": {"n": 3}, "tenant": "org_42", "idempotency_key": "b"}])
    assert again_a.pk == first.pk and new_b.pk != first.pk
    [again_b] = publish_many(items(1, idempotency_key="b"))
    assert again_b.pk == new_b.pk and Event.objects.count() == 2
    assert publish("invoice.paid", {}, tenant="org_42", idempotency_key="b").pk == new_b.pk


def test_a_key_past_its_window_is_free_again(invoice_paid):
    [old] = publish_many(items(1, idempotency_key="k"))
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    [new] = publish_many(items(1, idempotency_key="k"))
    assert new.pk != old.pk and Event.objects.get(pk=old.pk).idempotency_key is None


def test_rolled_back_call_leaves_nothing_and_hands_over_nothing(
        invoice_paid, handed_over, django_capture_on_commit_callbacks):
    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort):
        with transaction.atomic():
            publish_many(items(3, "org_new", idempotency_key="k"))
            raise Abort
    assert Event.objects.count() == 0 and not Tenant.objects.filter(uid="org_new").exists()
    assert handed_over == []
    assert len(publish_many(items(1, "org_new", idempotency_key="k"))) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once: PostgreSQL")
def test_a_key_taken_meanwhile_by_another_transaction_answers_its_event(invoice_paid, handed_over):
    """The other transaction's row is not yet visible when the keys are read; the INSERT waits for it, then yields."""
    Tenant.objects.create(uid="org_42")
    inserted, commit, theirs = threading.Event(), threading.Event(), []

    def other_publisher():
        try:
            with transaction.atomic():
                theirs.append(publish("invoice.paid", {"n": "theirs"}, tenant="org_42", idempotency_key="k"))
                inserted.set()
                commit.wait(10)
        finally:
            connections.close_all()

    def ours(result):
        try:
            result.extend(publish_many([{"event_type": "invoice.paid", "data": {"n": 1}, "tenant": "org_42"},
                                        {"event_type": "invoice.paid", "data": {"n": 2}, "tenant": "org_42",
                                         "idempotency_key": "k"}]))
        finally:
            connections.close_all()

    other, result = threading.Thread(target=other_publisher), []
    other.start()
    try:
        assert inserted.wait(10)
        mine = threading.Thread(target=ours, args=(result,))
        mine.start()
        _wait_for_a_writer_blocked_on_a_lock()
    finally:
        commit.set()
        other.join(10)
    mine.join(10)
    [unkeyed, keyed] = result
    assert keyed.pk == theirs[0].pk and json.loads(keyed.body)["data"] == {"n": "theirs"}
    assert Event.objects.count() == 2 and Event.objects.get(pk=unkeyed.pk).idempotency_key is None


def _wait_for_a_writer_blocked_on_a_lock():
    for _ in range(500):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND query LIKE 'INSERT INTO \"hookplatform_event\"%%'")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.01)
    raise AssertionError("publish_many's INSERT never waited for the other transaction's key")


def test_exported():
    import delivery
    from delivery.bulk_publishing import publish_many as the_function

    assert delivery.publish_many is the_function
