"""Deliveries per second: 500 events x 4 endpoints, the full attempt log, one worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/throughput.py [--events 500] [--endpoints 4]

Two figures: end to end (publish with the worker running, first publish to
last receipt) and delivery side only (publish with no worker, then start
one: its ready time to the last receipt).  Loopback only, bounded in count
and time.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

PADDING = 700  # a ~1 KB signed body, as MEASUREMENTS.md's figures assume


def prepare(receiver, endpoints):
    harness.purge_broker()  # tasks an earlier run left behind would add to this run's work
    harness.reset_data()
    harness.make_endpoints(receiver, endpoints)


def publish_all(events):
    from delivery import publish

    for i in range(events):
        publish("bench.tick", {"n": i, "padding": "x" * PADDING}, tenant="bench")


def end_to_end(events, endpoints, concurrency, limit_s=300):
    """(received, seconds, complete, publish seconds): first publish to last receipt."""
    with harness.Run() as run:
        prepare(run.receiver, endpoints)
        run.start_worker(concurrency)
        start = time.time()
        publish_all(events)
        publish_s = time.time() - start
        ok = run.receiver.wait_for(events * endpoints, timeout=limit_s)
        end = max(r[0] for r in run.receiver.records())
        return run.receiver.count(), end - start, ok, publish_s


def delivery_side(events, endpoints, concurrency, limit_s=300):
    """(received, seconds, complete): published with no worker, then the worker's ready time to last receipt."""
    with harness.Run() as run:
        prepare(run.receiver, endpoints)
        publish_all(events)
        start = run.start_worker(concurrency)
        ok = run.receiver.wait_for(events * endpoints, timeout=limit_s)
        end = max(r[0] for r in run.receiver.records())
        return run.receiver.count(), end - start, ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--endpoints", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    harness.setup_django()
    harness.purge_broker()
    rows = {"end to end": end_to_end(args.events, args.endpoints, args.concurrency)[:3],
            "delivery side": delivery_side(args.events, args.endpoints, args.concurrency)}
    from django.db import connection

    print(f"\n{args.events} events x {args.endpoints} endpoints, database {connection.vendor}, "
          f"worker -c {args.concurrency}")
    print(f"{'mode':16} {'received':>9} {'seconds':>8} {'deliveries/s':>13}")
    for mode, (count, seconds, ok) in rows.items():
        print(f"{mode:16} {count:9d} {seconds:8.2f} {count / seconds:13.0f}" + ("" if ok else "  (timed out)"))


if __name__ == "__main__":
    main()
