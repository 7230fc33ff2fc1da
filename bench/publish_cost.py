"""What one ``publish`` costs in the publishing process: alone, inside a host's transaction, and in bulk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/publish_cost.py [--calls 2000] [--profile] [--many] [--table-size [EVENTS] [--keep]]

No worker runs: the published events wait in the outbox (the fan-out
request a worker would take up stands, as under load).  ``alone`` is one
``publish`` in its own transaction, commit and hand-off included;
``in host transaction`` is the time ``publish`` adds inside a transaction the
host opened, wrote its own row in and commits afterwards (its write and
commit not counted); ``in_transaction_first`` the same with ``publish`` as the
transaction's first statement (its ``BEGIN`` round trip counted).  ``--many``
measures (or, with ``--profile``, profiles) only ``publish_many``.
``--table-size`` measures only ``alone``, with a nearly empty outbox and
with 1,000,000 events in it, the two taking turns 100 calls at a time
(PostgreSQL: written with COPY into the database DATABASE_URL plus ``_big``,
kept filled for the next run with ``--keep``), and EXPLAINs every statement
of a publish without a key, with a new key and with a key in use against
that table.
"""

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import root  # noqa: E402

root.use()
from bench import harness  # noqa: E402

PADDING = 700
TABLE_BLOCK = 100  # --table-size: calls per turn of each database
TURN_WARM_UP = 20  # untimed calls after each switch (a new connection's first statements cost more)


def _data(i):
    return {"n": i, "padding": "x" * PADDING}


def _prepare(endpoints=1):
    harness.purge_broker()
    harness.reset_data()
    receiver_url = "http://127.0.0.1:9/ep"
    from subscriptions.endpoints import create_endpoint

    for i in range(endpoints):
        create_endpoint("bench", url=f"{receiver_url}{i}", event_types=["bench.*"])


def _stats(times_ms):
    times_ms = sorted(times_ms)
    return {"p50": harness.percentile(times_ms, 0.5), "p99": harness.percentile(times_ms, 0.99),
            "calls": len(times_ms)}


def alone(calls):
    """p50/p99 ms of ``publish`` in its own transaction (autocommit: publish's own commit)."""
    _prepare()
    return _stats(_publish_times(calls, warm_up=50))


def _publish_times(calls, warm_up):
    """ms of each of ``calls`` ``publish`` calls in their own transactions, after ``warm_up`` untimed ones."""
    from delivery import publish

    for i in range(warm_up):
        publish("bench.tick", _data(i), tenant="bench")
    times = []
    for i in range(calls):
        start = time.perf_counter()
        publish("bench.tick", _data(i), tenant="bench")
        times.append((time.perf_counter() - start) * 1000)
    return times


def in_host_transaction(calls, host_writes_first=True):
    """p50/p99 ms that ``publish`` adds inside the host's open transaction (before the host's commit).

    The host writes its own row first (an order, say: the reason to publish in
    its transaction), untimed, so the transaction is open on the database when
    ``publish`` runs.  ``host_writes_first=False``: ``publish`` is the
    transaction's first statement and pays its ``BEGIN`` round trip too.
    """
    from django.db import transaction

    from delivery import publish

    _prepare()
    _host_table()
    for i in range(50):
        with transaction.atomic():
            publish("bench.tick", _data(i), tenant="bench")
    times = []
    for i in range(calls):
        with transaction.atomic():
            if host_writes_first:
                _host_write(i)
            start = time.perf_counter()
            publish("bench.tick", _data(i), tenant="bench")
            times.append((time.perf_counter() - start) * 1000)
    return _stats(times)


def _host_table():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_host_order (id BIGINT PRIMARY KEY, note TEXT NOT NULL)")
        cursor.execute("DELETE FROM bench_host_order")


def _host_write(i):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_host_order (id, note) VALUES (%s, %s)", [i, f"order {i}"])


def bulk(calls=5, size=1000):
    """Events per second of ``publish_many`` in calls of ``size`` (best of ``calls``), commit included.

    Beside it the median CPU time of this process per call (the database server's work not counted).
    """

    from delivery import publish_many

    _prepare()
    best, cpu = harness.timed_in_transactions(
        calls, lambda: [{"event_type": "bench.tick", "data": _data(i), "tenant": "bench"} for i in range(size)],
        publish_many)
    return {"events_per_s": size / best, "size": size, "calls": calls, "cpu_ms_per_call_median": cpu * 1000}


def profile(calls):
    import cProfile
    import pstats

    from delivery import publish

    _prepare()
    for i in range(50):
        publish("bench.tick", _data(i), tenant="bench")
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(calls):
        publish("bench.tick", _data(i), tenant="bench")
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def profile_many(calls, size=1000):
    """cProfile of ``calls`` calls of ``publish_many`` with ``size`` events each (after one warm-up call)."""
    import cProfile
    import pstats

    from django.db import transaction

    from delivery import publish_many

    _prepare()

    def items(offset):
        return [{"event_type": "bench.tick", "data": _data(offset + i), "tenant": "bench"} for i in range(size)]

    with transaction.atomic():
        publish_many(items(0))
    profiler = cProfile.Profile()
    for n in range(calls):
        batch = items((n + 1) * size)
        profiler.enable()
        with transaction.atomic():
            publish_many(batch)
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def queries_of_one():
    """The SQL statements and broker commands one ``publish`` sends, for the profile."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from delivery import publish

    _prepare()
    publish("bench.tick", _data(0), tenant="bench")
    with CaptureQueriesContext(connection) as captured:
        publish("bench.tick", _data(1), tenant="bench")
    return [q["sql"][:160] for q in captured.captured_queries]


# --- The table-size case: publish with 1,000,000 events already in the outbox (PostgreSQL only) ---

BIG_TENANTS = ("bench", "bench-t1", "bench-t2", "bench-t3", "bench-t4", "bench-t5", "bench-t6", "bench-t7")
BIG_TYPES = ("bench.tick", "bench.order.created", "bench.order.paid", "bench.user.updated")
BIG_WAITING = 3000  # events not fanned out yet (the dispatcher's outbox index holds only these)
BIG_COLUMNS = ("id", "tenant_id", "event_type", "body", "idempotency_key", "occurred_at", "created_at",
               "fanned_out_at", "traceparent")


def _big_rows(count, tenant_ids, start):
    """Outbox rows as a week of traffic leaves them: several tenants and types, ~300-byte bodies,
    one in five with an idempotency key, all fanned out but the last ``BIG_WAITING``; ids in time order."""
    from subscriptions.ids import crockford

    step = timedelta(days=7) / count
    for i in range(count):
        at = start + step * i
        millis = int(at.timestamp() * 1000)
        event_id = "msg_" + crockford((millis << 80) | (i * 7919 % (1 << 80)))
        event_type = BIG_TYPES[i % len(BIG_TYPES)]
        stamp = at.isoformat().replace("+00:00", "Z")
        body = (f'{{"type":"{event_type}","timestamp":"{stamp}","data":{{"n":{i},"order":"ord_{i:010d}",'
                f'"customer":"cus_{i % 50000:08d}","note":"{"x" * 180}"}}}}')
        key = f"big-{i}" if i % 5 == 0 else None
        fanned = None if i >= count - BIG_WAITING else at + timedelta(milliseconds=5)
        yield (event_id, tenant_ids[i % len(tenant_ids)], event_type, body, key, at, at, fanned, "")


def _fill(count):
    """Write ``count`` outbox rows with COPY (seconds taken); foreign key triggers off, then VACUUM (ANALYZE)
    and CHECKPOINT."""
    from django.db import connection
    from django.utils import timezone

    from delivery.models import Event
    from subscriptions import ensure_event_type
    from subscriptions.tenants import resolve_tenant

    harness.reset_data()
    for name in BIG_TYPES:
        ensure_event_type(name)
    tenant_ids = [resolve_tenant(uid).pk for uid in BIG_TENANTS]
    began = time.time()
    start = timezone.now() - timedelta(days=7, minutes=1)
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # consistent by construction
        try:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(BIG_COLUMNS)}) FROM STDIN") as copy:
                for row in _big_rows(count, tenant_ids, start):
                    copy.write_row(row)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute(f"VACUUM (ANALYZE) {table}")  # as autovacuum would leave a table this size
        cursor.execute("CHECKPOINT")  # the fill's ~1 GB written back now, not during the timed calls
    return time.time() - began


def _filled(count):
    """Whether the big database still holds the rows of an earlier ``--keep`` run."""
    from delivery.models import Event

    return Event.objects.filter(tenant__uid="bench-t7").exists() and Event.objects.count() >= count


def _drop_measured():
    """Delete the events this script published into the big table (ids are time-ordered: after the fill's)."""
    from delivery.models import Event

    last = Event.objects.filter(tenant__uid=BIG_TENANTS[-1]).order_by("-id").values_list("id", flat=True).first()
    if last is not None:
        Event.objects.filter(tenant__uid="bench", id__gt=last).delete()


def _use_database(name):
    """Point this process's default connection at the PostgreSQL database ``name`` (created, migrated)."""
    from django.core.management import call_command

    url = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = f"{url.rsplit('/', 1)[0]}/{name}"
    harness.ensure_database()
    _connect_to(name)
    call_command("migrate", verbosity=0)


def _connect_to(name):
    """The default connection's next query goes to database ``name``."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def _plans():
    """EXPLAIN of every statement one publish sends, without and with an idempotency key (new, then in use).

    {case: [(statement, [plan lines])]}; the statements are captured as sent (SQL and parameters).
    """
    from django.db import connection, transaction

    from delivery import publish

    sent = []

    def capture(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    cases = {}
    publish("bench.tick", _data(0), tenant="bench", idempotency_key="explain-key")  # the key, in use
    for case, key in (("no key", None), ("new key", "explain-new-key"), ("key in use", "explain-key")):
        sent.clear()
        with transaction.atomic():
            with connection.execute_wrapper(capture):
                publish("bench.tick", _data(1), tenant="bench", idempotency_key=key)
            transaction.set_rollback(True)
        plans = []
        with connection.cursor() as cursor:
            for sql, params in sent:
                if not sql.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                    continue
                cursor.execute("EXPLAIN " + sql, params)
                plans.append((sql[:120], [line for (line,) in cursor.fetchall()]))
        cases[case] = plans
    return cases


def _seq_scans(plans, table):
    return [line.strip() for statements in plans.values() for _, lines in statements for line in lines
            if "Seq Scan" in line and table in line]


def table_size(calls, events=1_000_000, keep=False, block=TABLE_BLOCK):
    """``publish`` alone (p50/p99 ms) with a nearly empty outbox and with ``events`` rows in it, and the ratio.

    The two databases take turns, ``block`` calls at a time (each turn after
    a short warm-up on its fresh connection), so whatever the machine does
    meanwhile (the fill's writes settling, a neighbour's load) falls on both
    sides alike instead of on whichever was measured second.  The big table
    lives in its own database (this one's name + ``_big``) so that ``keep``
    can leave it filled for the next run; without ``keep`` it is emptied at
    the end.
    """
    from django.db import connection

    from delivery.models import Event

    if connection.vendor != "postgresql":
        return {"skipped": "the big table is written with COPY: PostgreSQL only"}
    empty_name = connection.settings_dict["NAME"]
    _prepare()
    _use_database(empty_name + "_big")
    big_name = connection.settings_dict["NAME"]
    fill_s = None
    if not (keep and _filled(events)):
        fill_s = _fill(events)
    _drop_measured()  # an earlier --keep run's
    rows = Event.objects.count()
    times = _taking_turns({"empty": empty_name, "big": big_name}, calls, block)
    _connect_to(big_name)
    plans = _plans()
    _drop_measured()
    if not keep:
        harness.reset_data()
    empty, big = _stats(times["empty"]), _stats(times["big"])
    return {"empty": empty, "big": big, "rows": rows, "fill_s": fill_s, "block": block,
            "ratio_p50": big["p50"] / empty["p50"], "ratio_p99": big["p99"] / empty["p99"],
            "seq_scans_on_event": _seq_scans(plans, Event._meta.db_table), "plans": plans}


def _taking_turns(databases, calls, block):
    """{side: [ms of each timed publish]}: ``calls`` a side, the sides taking turns ``block`` calls at a time
    (in alternating order, so neither always goes first)."""
    times = {side: [] for side in databases}
    turns = 0
    while any(len(taken) < calls for taken in times.values()):
        order = list(databases) if turns % 2 == 0 else list(reversed(databases))
        turns += 1
        for side in order:
            _connect_to(databases[side])
            times[side] += _publish_times(min(block, calls - len(times[side])), warm_up=TURN_WARM_UP)
    return times


def _table_size_text(r):
    if "skipped" in r:
        return f"table size: skipped ({r['skipped']})"
    lines = [f"publish alone, {r['empty']['calls']} calls a side, taking turns {r['block']} at a time: p50 / p99 ms",
             f"  nearly empty outbox      {r['empty']['p50']:6.2f} / {r['empty']['p99']:6.2f}",
             f"  {r['rows']:>9,} events         {r['big']['p50']:6.2f} / {r['big']['p99']:6.2f}",
             f"  ratio big / empty        {r['ratio_p50']:6.2f} / {r['ratio_p99']:6.2f}",
             "  fill: " + ("kept from an earlier run" if r["fill_s"] is None else f"{r['fill_s']:.0f} s")]
    for case, statements in r["plans"].items():
        lines.append(f"EXPLAIN, publish with {case}:")
        for sql, plan in statements:
            lines += [f"  {sql}"] + [f"      {line}" for line in plan]
    lines.append(f"sequential scans of the event table: {r['seq_scans_on_event'] or 'none'}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int,
                        help="calls of publish (2000), of publish_many with --many (5; 3 profiled)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--many", action="store_true", help="only publish_many (--calls: how many calls of 1,000)")
    parser.add_argument("--json", action="store_true", help="one JSON object (for run_all.py)")
    parser.add_argument("--root", help="measure another checkout's code (see bench/root.py)")
    parser.add_argument("--table-size", type=int, nargs="?", const=1_000_000, metavar="EVENTS",
                        help="only publish alone, nearly empty outbox vs EVENTS rows in it (1,000,000)")
    parser.add_argument("--keep", action="store_true", help="--table-size: leave the big table filled for next time")
    args = parser.parse_args()
    harness.setup_django()
    if args.table_size:
        result = table_size(args.calls or 2000, args.table_size, keep=args.keep)
        print(json.dumps(result) if args.json else _table_size_text(result))
        return
    if args.many:
        if args.profile:
            profile_many(args.calls or 3)
        else:
            print(json.dumps({"many": bulk(calls=args.calls or 5)}))
        harness.reset_data()
        return
    if args.profile:
        for sql in queries_of_one():
            print("SQL:", sql)
        profile(args.calls or 2000)
        return
    calls = args.calls or 2000
    result = {"alone": alone(calls), "in_transaction": in_host_transaction(calls),
              "in_transaction_first": in_host_transaction(calls, host_writes_first=False)}
    try:
        result["many"] = bulk()
    except ImportError:
        result["many"] = None  # code before publish_many
    harness.reset_data()
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
