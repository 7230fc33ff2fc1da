"""Ways to INSERT 1,000 outbox rows in one transaction, side by side (PostgreSQL only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/bulk_insert_cost.py [--rounds 7] [--size 1000]

Each way writes the same rows (bodies of ~1 KB) inside ``transaction.atomic()``,
commit included; the figure is the best of ``--rounds`` in rows per second,
with the publishing process's CPU time per round beside it.  The rows'
values are ready before the clock starts (their conversion is counted only
where the way itself does it).
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import root  # noqa: E402

root.use()
from bench import harness  # noqa: E402

COLUMNS = ("id", "tenant", "event_type", "body", "idempotency_key", "occurred_at", "created_at", "fanned_out_at",
           "traceparent")


def _rows(tenant, size):
    from django.utils import timezone

    from subscriptions import ids

    now = timezone.now()
    return [(ids.event_id(), tenant.pk, "bench.tick", json.dumps({"n": i, "padding": "x" * 700}), None, now, now,
             None, "") for i in range(size)]


def unnest_binary(rows):
    from delivery import bulk_insert
    from delivery.models import Event

    bulk_insert.insert_rows(Event, COLUMNS, rows)


def _raw_cursor():
    import psycopg
    from django.db import connection

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _prepared(rows):
    from django.db import connection

    from delivery.bulk_insert import _columns, _plan
    from delivery.models import Event

    plan = _plan(Event, tuple(COLUMNS), False, (), connection.alias)
    return plan.fields, _columns(connection, plan, rows)


def unnest_text(rows):
    """The same statement with the arrays in text form (psycopg quotes each element in Python)."""
    from django.db import connection

    from delivery.bulk_insert import _array_type
    from delivery.models import Event

    fields, columns = _prepared(rows)
    arrays = ", ".join(f"%s::{_array_type(connection, f)}" for f in fields)
    sql = (f'INSERT INTO "{Event._meta.db_table}" ({", ".join(f.column for f in fields)}) '
           f"SELECT * FROM unnest({arrays})")
    with _raw_cursor() as cursor:
        cursor.execute(sql, columns)


def executemany_pipeline(rows):
    """One prepared single-row INSERT, ``executemany`` (psycopg sends it in pipeline mode)."""
    from delivery.models import Event

    fields, columns = _prepared(rows)
    sql = (f'INSERT INTO "{Event._meta.db_table}" ({", ".join(f.column for f in fields)}) '
           f"VALUES ({', '.join(['%b'] * len(fields))})")
    with _raw_cursor() as cursor:
        cursor.executemany(sql, list(zip(*columns)))


def values_server_side(rows):
    """One multi-row ``VALUES`` with 9,000 parameters bound on the server."""
    from delivery.models import Event

    fields, columns = _prepared(rows)
    one = f"({', '.join(['%b'] * len(fields))})"
    sql = (f'INSERT INTO "{Event._meta.db_table}" ({", ".join(f.column for f in fields)}) '
           f"VALUES {', '.join([one] * len(rows))}")
    with _raw_cursor() as cursor:
        cursor.execute(sql, [value for row in zip(*columns) for value in row])


def json_recordset(rows):
    """The rows as one JSON array of objects (``json.dumps`` in C), expanded by ``json_populate_recordset``."""
    from delivery.models import Event

    fields, _ = _prepared(rows[:1])
    names = [f.column for f in fields]
    table = Event._meta.db_table
    document = json.dumps([dict(zip(names, row)) for row in rows], default=_isoformat)
    sql = (f'INSERT INTO "{table}" ({", ".join(names)}) SELECT {", ".join(names)} '
           f'FROM json_populate_recordset(NULL::"{table}", %s::json)')
    with _raw_cursor() as cursor:
        cursor.execute(sql, [document])


def _isoformat(value):
    return value.isoformat()


def django_bulk_create(rows):
    """What ``publish_many`` did before: model instances, ``bulk_create`` (client-side binding)."""
    from delivery.models import Event

    Event.objects.bulk_create([Event(**dict(zip([f if f != "tenant" else "tenant_id" for f in COLUMNS], row)))
                               for row in rows])


WAYS = [unnest_binary, json_recordset, unnest_text, executemany_pipeline, values_server_side, django_bulk_create]


def measure(way, rounds, size):
    from django.db import connection

    from subscriptions.models import Tenant

    tenant = Tenant.objects.get_or_create(uid="bench")[0]

    def empty_tables():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE hookplatform_attempt, hookplatform_delivery, hookplatform_event")

    best_wall, cpu = harness.timed_in_transactions(rounds, lambda: _rows(tenant, size), way, after=empty_tables)
    return {"rows_per_s": round(size / best_wall), "cpu_ms_median": round(cpu * 1000, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--root", help="measure another checkout's code (see bench/root.py)")
    args = parser.parse_args()
    harness.setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: set DATABASE_URL")
    harness.reset_data()
    for way in WAYS:
        print(way.__name__, measure(way, args.rounds, args.size))
    harness.reset_data()


if __name__ == "__main__":
    main()
