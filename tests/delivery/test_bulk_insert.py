"""``insert_rows`` and ``copy_rows``: many rows of one model in one statement, stored as the ORM would store them."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from delivery import publish
from delivery.bulk_copy import copy_rows
from delivery.bulk_insert import Blank, insert_instances, insert_rows
from delivery.models import Attempt, Delivery, Event
from subscriptions import create_endpoint
from subscriptions.models import EventType, Tenant

pytestmark = pytest.mark.django_db

# Characters that mean something in SQL, in PostgreSQL's array literals or in JSON, and beyond ASCII.
AWKWARD = ['plain', 'quote \' and "double"', "back\\slash", "{braces}, commas", "NULL", "", " spaced ",
           "ünïcødé ✓ 日本語 🎉", "line\nbreak\ttab", "carriage\rreturn", "\\N", "\\.", "\\", "end\\"]


def test_text_datetimes_and_nulls_are_stored_as_given():
    tenant = Tenant.objects.create(uid="org_1")
    kolkata = timezone(timedelta(hours=5, minutes=30))
    moments = [datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), datetime(1999, 12, 31, 23, 59, tzinfo=kolkata)]
    rows = [(f"msg_{i}", tenant.pk, "t.e", body, None if i % 2 else f"key {body}", moments[i % 2],
             moments[(i + 1) % 2]) for i, body in enumerate(AWKWARD)]
    insert_rows(Event, ["id", "tenant", "event_type", "body", "idempotency_key", "occurred_at", "created_at"], rows)
    stored = {e.pk: e for e in Event.objects.all()}
    assert len(stored) == len(AWKWARD)
    for event_id, tenant_id, _, body, key, occurred_at, created_at in rows:
        event = stored[event_id]
        assert (event.tenant_id, event.body, event.idempotency_key) == (tenant_id, body, key)
        assert (event.occurred_at, event.created_at) == (occurred_at, created_at)
        assert event.fanned_out_at is None and event.traceparent == ""  # omitted: their defaults


def test_json_values_and_sql_null():
    documents = [{"nested": {"list": [1, 2.5, None, True]}, "text": AWKWARD}, [], {}, "a string", 0, None]
    rows = [(f"t.json{i}", document) for i, document in enumerate(documents)]
    now = datetime.now(UTC)  # updated_at is auto_now: pre_save is not run, the caller gives it
    insert_rows(EventType, ["name", "schema", "updated_at"], [(*row, now) for row in rows])
    stored = dict(EventType.objects.values_list("name", "schema"))
    assert stored == dict(rows)
    assert EventType.objects.filter(name="t.json5", schema__isnull=True).exists()  # SQL NULL, not JSON null


def test_returns_the_generated_ids_in_the_order_of_the_rows():
    uids = [f"org_{n}" for n in (5, 3, 9, 1, 7)]
    returned = insert_rows(Tenant, ["uid", "name"], [(uid, uid.upper()) for uid in uids], returning=["id", "uid"])
    assert [uid for _, uid in returned] == uids
    assert dict(returned) == dict(Tenant.objects.values_list("id", "uid"))


def test_omitted_fields_get_their_model_defaults():
    before = datetime.now(UTC)
    insert_rows(Tenant, ["uid"], [("org_1",), ("org_2",)])
    for tenant in Tenant.objects.all():
        assert (tenant.name, tenant.metadata, tenant.contact_email) == ("", {}, "")
        assert tenant.created_at >= before


def test_a_conflict_fails_the_statement_and_writes_none_of_it():
    Tenant.objects.create(uid="taken")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Tenant, ["uid"], [("new",), ("taken",)])
    assert list(Tenant.objects.values_list("uid", flat=True)) == ["taken"]


def test_ignored_conflicts_leave_out_those_rows_and_return_the_written_ones():
    Event.objects.create(id="msg_old", tenant=Tenant.objects.create(uid="org_1"), event_type="t.e", body="old",
                         idempotency_key="k")
    tenant_id = Tenant.objects.get().pk
    now = datetime.now(UTC)
    rows = [("msg_a", tenant_id, "a", "k", now), ("msg_b", tenant_id, "b", "k2", now),  # "k": the unique key
            ("msg_old", tenant_id, "c", None, now), ("msg_d", tenant_id, "d", None, now)]  # "msg_old": the pk
    written = insert_rows(Event, ["id", "tenant", "body", "idempotency_key", "created_at"], rows,
                          ignore_conflicts=True, returning=["id"])
    assert written == [("msg_b",), ("msg_d",)]
    assert dict(Event.objects.values_list("id", "body")) == {"msg_old": "old", "msg_b": "b", "msg_d": "d"}


def test_foreign_keys_small_integers_booleans_and_nullable_json(make_delivery):
    delivery = make_delivery()
    started = datetime(2026, 5, 1, tzinfo=UTC)
    rows = [(delivery.pk, delivery.endpoint_id, started, 12, True, "https://x.test/é", {"h": "v"}, 200, None),
            (delivery.pk, delivery.endpoint_id, started, 0, False, "https://x.test/", {}, None, {"retry-after": "5"})]
    fields = ["delivery", "endpoint", "started_at", "duration_ms", "succeeded", "request_url", "request_headers",
              "response_status", "response_headers"]
    ids = insert_rows(Attempt, fields, rows, returning=["id"])
    stored = Attempt.objects.order_by("id").values_list(
        "delivery_id", "endpoint_id", "started_at", "duration_ms", "succeeded", "request_url", "request_headers",
        "response_status", "response_headers")
    assert list(stored) == rows and [pk for (pk,) in ids] == sorted(pk for (pk,) in ids)
    assert set(Attempt.objects.values_list("target", flat=True)) == {"url"}  # the column's database default


def test_inside_a_rolled_back_transaction_nothing_stays():
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        returned = insert_rows(Tenant, ["uid"], [("org_a",), ("org_b",)], returning=["uid"])
        assert returned == [("org_a",), ("org_b",)]
        assert Tenant.objects.count() == 2  # the same connection and transaction as the ORM's
        raise Abort
    assert not Tenant.objects.exists()


def test_one_statement_in_the_query_log_and_none_for_no_rows():
    with CaptureQueriesContext(connection) as captured:
        assert insert_rows(Tenant, ["uid"], []) == []
        insert_rows(Tenant, ["uid"], [(f"org_{n}",) for n in range(50)])
    assert len(captured.captured_queries) == 1
    assert captured.captured_queries[0]["sql"].startswith('INSERT INTO "hookplatform_tenant"')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not enforce a varchar's length")
def test_the_column_still_refuses_a_value_too_long_for_it():
    """The arrays are cast without the length, so the column's own check runs (a cast would cut the text)."""
    with pytest.raises(Exception, match="too long"), transaction.atomic():
        insert_rows(Tenant, ["uid"], [("x" * 129,)])
    assert not Tenant.objects.exists()


def test_equal_values_of_other_types_and_one_object_on_many_rows_are_each_stored_as_given():
    shared = {"same": "object"}
    documents = [True, 1, 1.0, shared, shared, shared, "1"]
    now = datetime.now(UTC)
    insert_rows(EventType, ["name", "schema", "updated_at"],
                [(f"t.v{i}", document, now) for i, document in enumerate(documents)])
    stored = [schema for _, schema in sorted(EventType.objects.values_list("name", "schema"))]
    assert stored == documents and [type(s) for s in stored] == [type(d) for d in documents]


def test_insert_instances_saves_them_and_sets_their_keys(invoice_paid, handed_over):
    endpoints = [create_endpoint("org_42", url=f"http://127.0.0.1:9/{n}") for n in range(3)]
    event = publish("invoice.paid", {"n": 1}, tenant="org_42")
    rows = [Delivery(event=event, endpoint=endpoint, tenant_id=event.tenant_id, status="sending",
                     lease_token="t" * 32, body=f"body {n}") for n, endpoint in enumerate(endpoints)]
    assert insert_instances(rows) is rows
    assert all(row.pk and not row._state.adding for row in rows)
    stored = {d.pk: d for d in Delivery.objects.filter(pk__in=[row.pk for row in rows])}
    assert [stored[row.pk].body for row in rows] == ["body 0", "body 1", "body 2"]
    assert all(stored[row.pk].lease_token == "t" * 32 and stored[row.pk].status == "sending" for row in rows)


def test_a_blank_makes_the_instance_the_model_makes(invoice_paid):
    endpoint = create_endpoint("org_42", url="http://127.0.0.1:9/b")
    event = publish("invoice.paid", {"n": 1}, tenant="org_42")
    made = Delivery(event=event, endpoint=endpoint, tenant_id=event.tenant_id)
    copied = Blank.of(Delivery).new(event_id=event.pk, endpoint_id=endpoint.pk, tenant_id=event.tenant_id,
                                    related={"event": event, "endpoint": endpoint})
    fields = [f.attname for f in Delivery._meta.concrete_fields if f.attname != "created_at"]
    assert [getattr(copied, name) for name in fields] == [getattr(made, name) for name in fields]
    assert copied.event is event and copied.endpoint is endpoint and copied._state.adding
    assert abs(copied.created_at - made.created_at).total_seconds() < 5  # the callable default, called for it
    first, second = Blank.of(Attempt).new(), Blank.of(Attempt).new()
    assert first.request_headers == {} and first.request_headers is not second.request_headers
    insert_instances([copied])
    assert Delivery.objects.get(pk=copied.pk).endpoint_id == endpoint.pk


def _awkward_events(tenant):
    kolkata = timezone(timedelta(hours=5, minutes=30))
    moments = [datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), datetime(1999, 12, 31, 23, 59, tzinfo=kolkata)]
    return [(f"msg_{i}", tenant.pk, "t.e", body, None if i % 2 else f"key {body}", moments[i % 2],
             moments[(i + 1) % 2]) for i, body in enumerate(AWKWARD)]


def test_copy_rows_stores_what_insert_rows_stores_from_a_generator_in_one_statement():
    tenant = Tenant.objects.create(uid="org_1")
    rows = _awkward_events(tenant)
    fields = ["id", "tenant", "event_type", "body", "idempotency_key", "occurred_at", "created_at"]
    with CaptureQueriesContext(connection) as captured:
        assert copy_rows(Event, fields, (row for row in rows)) == len(rows)
    assert len(captured.captured_queries) == 1
    statement = captured.captured_queries[0]["sql"]
    assert statement.startswith('COPY "hookplatform_event"' if connection.vendor == "postgresql"
                                else 'INSERT INTO "hookplatform_event"')
    copied = list(Event.objects.order_by("id").values_list(*[f.attname for f in Event._meta.concrete_fields]))
    Event.objects.all().delete()
    insert_rows(Event, fields, rows)
    inserted = list(Event.objects.order_by("id").values_list(*[f.attname for f in Event._meta.concrete_fields]))
    assert copied == inserted and len(copied) == len(AWKWARD)


def test_copy_rows_converts_json_and_fills_omitted_defaults():
    documents = [{"nested": {"list": [1, 2.5, None, True]}, "text": AWKWARD}, [], {}, "a string", 0, None]
    now = datetime.now(UTC)
    copy_rows(EventType, ["name", "schema", "updated_at"], [(f"t.json{i}", d, now) for i, d in enumerate(documents)])
    stored = {t.name: t for t in EventType.objects.all()}
    assert [stored[f"t.json{i}"].schema for i in range(len(documents))] == documents
    assert EventType.objects.filter(name="t.json5", schema__isnull=True).exists()
    assert all(t.description == "" and not t.archived for t in stored.values())


def test_an_error_while_the_rows_are_made_leaves_nothing_of_them():
    """The generator fails halfway: the statement ends, and the caller's transaction takes back what was sent."""
    tenant = Tenant.objects.create(uid="org_1")

    def rows():
        for n in range(300):
            if n == 250:
                raise ValueError("the caller's own failure")
            yield (f"msg_{n:04d}", tenant.pk, "t.e", "x" * 500, None, datetime.now(UTC), datetime.now(UTC))

    with pytest.raises(ValueError, match="own failure"), transaction.atomic():
        copy_rows(Event, ["id", "tenant", "event_type", "body", "idempotency_key", "occurred_at", "created_at"],
                  rows())
    assert not Event.objects.exists()
    Event.objects.create(id="msg_after", tenant=tenant, event_type="t.e", body="{}")  # the connection is usable
