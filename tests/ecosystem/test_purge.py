"""Retention: old attempts, finished deliveries and events go in batches; live work is untouched."""

import io
import re
import sys
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from delivery import broker, publish, retention
from delivery.models import Attempt, Delivery, Event
from subscriptions import create_endpoint, ensure_event_type
from tests.worker import wait_until

OLD = timedelta(days=40)


def make_history(endpoint, *, events, attempts_per_delivery, age=OLD, status="succeeded"):
    """``events`` finished deliveries with their attempts, all ``age`` old; bulk-inserted."""
    then = timezone.now() - age
    event_rows = Event.objects.bulk_create(
        [Event(tenant=endpoint.tenant, event_type="invoice.paid", body="{}", created_at=then, occurred_at=then,
               fanned_out_at=then) for _ in range(events)], batch_size=2000)
    deliveries = Delivery.objects.bulk_create(
        [Delivery(event=e, endpoint=endpoint, tenant=endpoint.tenant, status=status, created_at=then,
                  finished_at=then if status in Delivery.Status.FINISHED else None,
                  next_attempt_at=None if status in Delivery.Status.FINISHED else then,
                  attempt_count=attempts_per_delivery) for e in event_rows], batch_size=2000)
    Attempt.objects.bulk_create(
        [Attempt(delivery=d, endpoint=endpoint, started_at=then, duration_ms=12, succeeded=False,
                 request_url=endpoint.url, response_status=500) for d in deliveries], batch_size=2000)
    if attempts_per_delivery > 1:
        copy_attempts([d.pk for d in deliveries], attempts_per_delivery - 1)
    return deliveries


ATTEMPT_COLUMNS = ("delivery_id, endpoint_id, trigger, started_at, duration_ms, succeeded, request_url, "
                   "request_headers, response_status, response_headers, response_body, error_class, error_message")


def copy_attempts(delivery_ids, times):
    """Each of these deliveries' attempts ``times`` more times, in one INSERT … SELECT (fast on both databases)."""
    table = Attempt._meta.db_table
    columns = ", ".join(f"a.{c.strip()}" for c in ATTEMPT_COLUMNS.split(","))
    with connection.cursor() as cursor:
        for chunk in range(0, len(delivery_ids), 500):
            ids = delivery_ids[chunk:chunk + 500]
            cursor.execute(
                f"INSERT INTO {table} ({ATTEMPT_COLUMNS}) "
                f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) "
                f"SELECT {columns} FROM {table} a CROSS JOIN n WHERE a.delivery_id IN ({', '.join(['%s'] * len(ids))})",
                [times, *ids],
            )


def counts():
    return {"attempts": Attempt.objects.count(), "deliveries": Delivery.objects.count(),
            "events": Event.objects.count()}


@pytest.fixture
def endpoint(db):
    ensure_event_type("invoice.paid")
    return create_endpoint("org_purge", url="http://127.0.0.1:9/hook")


def test_purge_keeps_recent_rows_and_anything_still_waiting(endpoint):
    make_history(endpoint, events=3, attempts_per_delivery=2)
    waiting = make_history(endpoint, events=2, attempts_per_delivery=1, status="retrying")
    make_history(endpoint, events=4, attempts_per_delivery=1, age=timedelta(days=2))

    report = retention.purge(30 * 86400, batch_size=2)

    # L13: the waiting deliveries stay with their events and their history (their old attempts too).
    assert report.deleted == {"attempts": 6, "deliveries": 3, "events": 3}
    assert set(Delivery.objects.filter(status="retrying").values_list("id", flat=True)) == {d.id for d in waiting}
    assert counts() == {"attempts": 4 + 2, "deliveries": 6, "events": 6}


def test_purge_refuses_an_age_inside_the_idempotency_window(endpoint):
    with pytest.raises(ValueError, match="idempotency window"):
        retention.purge(3600)
    with pytest.raises(CommandError, match="idempotency window"):
        call_command("webhooks_purge", "--older-than", "1h", "--no-progress")
    with pytest.raises(CommandError, match="not an age"):
        call_command("webhooks_purge", "--older-than", "soon", "--no-progress")


def test_the_command_reports_and_draws_a_bar_when_asked(endpoint, capsys):
    make_history(endpoint, events=5, attempts_per_delivery=4)
    out = io.StringIO()

    call_command("webhooks_purge", "--older-than", "30d", "--batch-size", "3", "--progress", stdout=out)

    assert "to delete: 20 attempts, 5 deliveries, 5 events" in out.getvalue()
    assert "deleted 20 attempts, 5 deliveries, 5 events older than" in out.getvalue()
    bar = capsys.readouterr().err
    assert "\rattempts   [##############################]        20/20" in bar
    assert counts() == {"attempts": 0, "deliveries": 0, "events": 0}


def test_dry_run_deletes_nothing(endpoint):
    make_history(endpoint, events=2, attempts_per_delivery=3)
    out = io.StringIO()
    call_command("webhooks_purge", "--older-than", "30d", "--dry-run", stdout=out)
    assert "to delete: 6 attempts, 2 deliveries, 2 events" in out.getvalue()
    assert counts()["attempts"] == 6


def test_the_beat_entry_exists_only_with_a_retention(settings):
    assert broker.PURGE_ENTRY not in broker.beat_entries()
    settings.WEBHOOKS_RETENTION = "30d"
    assert broker.beat_entries()[broker.PURGE_ENTRY]["task"] == "delivery.purge"


def test_purge_expired_follows_the_setting(endpoint, settings):
    make_history(endpoint, events=2, attempts_per_delivery=1)
    assert retention.purge_expired() is None
    settings.WEBHOOKS_RETENTION = "30d"
    assert retention.purge_expired().deleted["events"] == 2


@pytest.mark.e2e
def test_purging_100000_old_attempts_in_batches_while_deliveries_go_on(live_worker, receiver, spawn):
    ensure_event_type("invoice.paid")
    old_endpoint = create_endpoint("org_purge", url=receiver.url("/old"))
    create_endpoint("org_live", url=receiver.url("/live"))
    started = time.monotonic()
    make_history(old_endpoint, events=1000, attempts_per_delivery=100)
    before = counts()
    print(f"\nbefore purge: {before} (inserted in {time.monotonic() - started:.1f} s)", file=sys.stderr)
    assert before["attempts"] == 100_000

    purge = spawn("manage.py", "webhooks_purge", "--older-than", "30d", "--batch-size", "5000",
                  "--no-progress", "-v", "2", name="purge")
    published, purge_started = [], time.monotonic()
    while purge.process.poll() is None and len(published) < 300 and time.monotonic() - purge_started < 120:
        published.append(publish("invoice.paid", {"n": len(published)}, tenant="org_live").id)
        time.sleep(0.05)
    purge_seconds = time.monotonic() - purge_started
    assert purge.process.wait(60) == 0, purge.output()

    output = purge.output()
    batches = re.findall(r"^batch: (\d+) attempts$", output, re.M)
    assert len(batches) == 20 and {int(n) for n in batches} == {5000}
    assert "deleted 100000 attempts, 1000 deliveries, 1000 events" in output
    receiver.wait_for(len(published), "/live", timeout=60)
    wait_until(lambda: Delivery.objects.filter(event_id__in=published, status="succeeded").count()
               == len(published), 30)
    after = counts()
    print(f"after purge ({purge_seconds:.1f} s, {len(batches)} batches of attempts, "
          f"{len(published)} events published and delivered meanwhile): {after}", file=sys.stderr)
    assert published, "no event was published while the purge ran"
    assert after["attempts"] == len(published)
    assert after["events"] == len(published)


def test_a_delivery_resent_while_its_event_is_being_purged_survives(endpoint, handed_over):
    """L13: an operator resends an old delivery between the purge choosing its event and deleting it."""
    from django.db import connection

    from delivery.operations import retry_delivery

    make_history(endpoint, events=2, attempts_per_delivery=1)
    resent = Delivery.objects.order_by("id").first()
    chosen = []

    def resend_after_the_events_are_chosen(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not chosen and sql.lstrip().startswith("SELECT") and 'FROM "hookplatform_event"' in sql:
            chosen.append(sql)
            retry_delivery(resent)  # in between: the event is chosen, not yet deleted
        return result

    # The events' batch (its deliveries finished long ago: as if they finished between purge's steps).
    events = retention.old_querysets(timezone.now() - timedelta(days=30))["events"]
    with connection.execute_wrapper(resend_after_the_events_are_chosen):
        retention._delete_batch(events, 10)

    assert chosen, "the purge never chose events"
    assert Delivery.objects.filter(pk=resent.pk, status="sending").exists()
    assert Event.objects.filter(pk=resent.event_id).exists()
