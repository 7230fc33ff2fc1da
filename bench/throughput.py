"""Deliveries per second: 500 events x 4 endpoints, the full attempt log, one worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/throughput.py [--events 500] [--endpoints 4]

Prints two figures: end to end (publish with the worker running, first
publish to last receipt) and delivery side only (publish with no worker,
then start one: its ready time to the last receipt).  Loopback only,
bounded in count and time.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402


def prepare(receiver, endpoints):
    from delivery.models import Attempt, Delivery, Event
    from subscriptions import create_endpoint, ensure_event_type
    from subscriptions.models import Tenant

    Attempt.objects.all().delete()
    Delivery.objects.all().delete()
    Event.objects.all().delete()
    Tenant.objects.filter(uid="bench").delete()
    ensure_event_type("bench.tick")
    for i in range(endpoints):
        create_endpoint("bench", url=receiver.url(f"/ep{i}"), event_types=["bench.*"])


def publish_all(events):
    from delivery import publish

    for i in range(events):
        publish("bench.tick", {"n": i, "padding": "x" * 700}, tenant="bench")


def run(events, endpoints, concurrency):
    harness.setup_django()
    harness.purge_broker()
    expected = events * endpoints
    env = harness.bench_env()
    results = {}

    receiver = harness.ReceiverProcess()
    try:
        prepare(receiver, endpoints)
        worker = harness.WorkerProcess(env, concurrency=concurrency)
        worker.wait_ready()
        start = time.time()
        publish_all(events)
        publish_s = time.time() - start
        ok = receiver.wait_for(expected, timeout=300)
        end = max(r[0] for r in receiver.records())
        results["end to end"] = (receiver.count(), end - start, ok, publish_s)
        worker.stop()
    finally:
        receiver.stop()

    receiver = harness.ReceiverProcess()
    try:
        prepare(receiver, endpoints)
        publish_all(events)
        worker = harness.WorkerProcess(env, concurrency=concurrency)
        start = worker.wait_ready()
        ok = receiver.wait_for(expected, timeout=300)
        end = max(r[0] for r in receiver.records())
        results["delivery side"] = (receiver.count(), end - start, ok, None)
        worker.stop()
    finally:
        receiver.stop()

    from django.db import connection

    print(f"\n{events} events x {endpoints} endpoints, database {connection.vendor}, worker -c {concurrency}")
    print(f"{'mode':16} {'received':>9} {'seconds':>8} {'deliveries/s':>13}")
    for mode, (count, seconds, ok, _) in results.items():
        print(f"{mode:16} {count:9d} {seconds:8.2f} {count / seconds:13.0f}" + ("" if ok else "  (timed out)"))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--endpoints", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    run(args.events, args.endpoints, args.concurrency)
