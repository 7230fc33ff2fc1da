"""What one ``publish`` costs in the publishing process: alone, inside a host's transaction, and in bulk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/publish_cost.py [--calls 2000] [--profile] [--many]

No worker runs: the published events wait in the outbox (the fan-out
request a worker would take up stands, as under load).  ``alone`` is one
``publish`` in its own transaction, commit and hand-off included;
``in host transaction`` is the time ``publish`` adds inside a transaction the
host opened and commits afterwards (its commit not counted).  ``--many``
measures (or, with ``--profile``, profiles) only ``publish_many``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import root  # noqa: E402

root.use()
from bench import harness  # noqa: E402

PADDING = 700


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
    from delivery import publish

    _prepare()
    for i in range(50):  # warm-up
        publish("bench.tick", _data(i), tenant="bench")
    times = []
    for i in range(calls):
        start = time.perf_counter()
        publish("bench.tick", _data(i), tenant="bench")
        times.append((time.perf_counter() - start) * 1000)
    return _stats(times)


def in_host_transaction(calls):
    """p50/p99 ms that ``publish`` adds inside the host's open transaction (before the host's commit)."""
    from django.db import transaction

    from delivery import publish

    _prepare()
    for i in range(50):
        with transaction.atomic():
            publish("bench.tick", _data(i), tenant="bench")
    times = []
    for i in range(calls):
        with transaction.atomic():
            start = time.perf_counter()
            publish("bench.tick", _data(i), tenant="bench")
            times.append((time.perf_counter() - start) * 1000)
    return _stats(times)


def bulk(calls=5, size=1000):
    """Events per second of ``publish_many`` in calls of ``size`` (best of ``calls``), commit included.

    Beside it the median CPU time of this process per call (the database server's work not counted).
    """
    from django.db import transaction

    from delivery import publish_many

    _prepare()
    best, cpu = None, []
    for _ in range(calls):
        items = [{"event_type": "bench.tick", "data": _data(i), "tenant": "bench"} for i in range(size)]
        start, start_cpu = time.perf_counter(), time.process_time()
        with transaction.atomic():
            publish_many(items)
        seconds = time.perf_counter() - start
        cpu.append(time.process_time() - start_cpu)
        best = seconds if best is None else min(best, seconds)
    return {"events_per_s": size / best, "size": size, "calls": calls,
            "cpu_ms_per_call_median": sorted(cpu)[len(cpu) // 2] * 1000}


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int,
                        help="calls of publish (2000), of publish_many with --many (5; 3 profiled)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--many", action="store_true", help="only publish_many (--calls: how many calls of 1,000)")
    parser.add_argument("--json", action="store_true", help="one JSON object (for run_all.py)")
    parser.add_argument("--root", help="measure another checkout's code (see bench/root.py)")
    args = parser.parse_args()
    harness.setup_django()
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
    result = {"alone": alone(calls), "in_transaction": in_host_transaction(calls)}
    try:
        result["many"] = bulk()
    except ImportError:
        result["many"] = None  # code before publish_many
    harness.reset_data()
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
