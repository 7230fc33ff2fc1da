"""A large table: the dispatcher's claim time per batch with 1,000,000 deliveries present vs an empty table.

Rows are written with COPY (PostgreSQL) or bulk inserts (SQLite): most are
finished, some wait for a retry hours away; a few batches' worth are due now
and a few have a lapsed lease.  Each claim is timed on its own.
"""

import statistics
import time
from datetime import timedelta

from bench import harness

PER_EVENT = 100  # endpoints: each event has one delivery per endpoint
COLUMNS = ("event_id", "endpoint_id", "tenant_id", "status", "attempt_count", "next_attempt_at",
           "lease_token", "lease_expires_at", "last_error", "created_at", "finished_at")


def _rows(events, endpoints, tenant_id, now, due, lapsed):
    """Delivery rows: the first ``due`` are due, the next ``lapsed`` lapsed, the rest finished or far off."""
    n = 0
    for event in events:
        for endpoint in endpoints:
            if n < due:
                row = ("pending", 0, now - timedelta(seconds=1), None, None, None)
            elif n < due + lapsed:
                row = ("sending", 0, None, "lapsed", now - timedelta(seconds=5), None)
            elif n % 10 == 0:
                row = ("retrying", 1, now + timedelta(hours=2), None, None, None)
            else:
                row = ("succeeded", 1, None, None, None, now)
            status, attempts, next_at, token, lease, finished = row
            yield (event, endpoint, tenant_id, status, attempts, next_at, token, lease, "", now, finished)
            n += 1


def _insert(rows):
    from django.db import connection

    from delivery.models import Delivery

    table = Delivery._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The rows are consistent by construction: skip the per-row foreign key triggers.
            cursor.execute("SET session_replication_role = replica")
            try:
                with cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
            # As autovacuum would have left a table this size: statistics, visibility map, hint bits.
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    else:
        batch = []
        for row in rows:
            batch.append(Delivery(**dict(zip(COLUMNS, row))))
            if len(batch) == 5000:
                Delivery.objects.bulk_create(batch)
                batch = []
        Delivery.objects.bulk_create(batch)


def _events(count, tenant):
    from django.utils import timezone

    from delivery.models import Event

    now = timezone.now()
    made = Event.objects.bulk_create(
        [Event(tenant=tenant, event_type="bench.tick", body='{"type":"bench.tick"}', occurred_at=now,
               fanned_out_at=now) for _ in range(count)], batch_size=2000)
    return [e.id for e in made]


def _time_claims(claim, batches, batch_size):
    times = []
    for _ in range(batches):
        start = time.perf_counter()
        ids, _ = claim(batch_size)
        times.append((time.perf_counter() - start) * 1000)
        assert len(ids) == batch_size, f"claimed {len(ids)} of {batch_size}"
    return times


def one_table(total, batches, batch_size):
    """{"rows", "insert_s", "due_ms" (median, max), "lapsed_ms" (median, max)} with ``total`` rows in the table."""
    from django.utils import timezone

    from delivery import states

    receiver_stub = type("R", (), {"url": staticmethod(lambda path: f"http://127.0.0.1:9{path}")})
    harness.reset_data()
    endpoints = [e.id for e in harness.make_endpoints(receiver_stub, PER_EVENT, prefix="/backlog")]
    from subscriptions.models import Tenant

    tenant = Tenant.objects.get(uid="bench")
    waiting = 2 * batches * batch_size
    rows_wanted = max(total, waiting)
    start = time.time()
    events = _events(-(-rows_wanted // PER_EVENT), tenant)
    now = timezone.now()
    _insert(_rows(events, endpoints, tenant.pk, now, due=batches * batch_size, lapsed=batches * batch_size))
    insert_s = time.time() - start
    due = _time_claims(lambda n: states.claim_due(n), batches, batch_size)
    lapsed = _time_claims(lambda n: states.claim_expired(n), batches, batch_size)
    from delivery.models import Delivery

    return {"rows": Delivery.objects.count(), "insert_s": insert_s,
            "due_ms": (statistics.median(due), max(due)), "lapsed_ms": (statistics.median(lapsed), max(lapsed))}


def measure(total, batches=20, batch_size=None):
    from subscriptions import conf

    batch_size = batch_size or conf.get().batch_size
    small = one_table(0, batches, batch_size)
    large = one_table(total, batches, batch_size)
    harness.reset_data()
    return {"small": small, "large": large, "batch_size": batch_size}
