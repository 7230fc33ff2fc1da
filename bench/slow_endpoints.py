"""Slow endpoints must not starve healthy ones.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/slow_endpoints.py [--rate 20] [--seconds 20]

Ten endpoints of one tenant get every event.  Baseline: all ten answer at
once.  Then one of them takes 10 s to answer every request.  Prints the
nine fast endpoints' delivery rate and publish-to-receipt p50/p99 in both
runs.  Loopback only, bounded in count and time.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

SLOW_SECONDS = 10


def prepare(receiver):
    from delivery.models import Attempt, Delivery, Event
    from subscriptions import create_endpoint, ensure_event_type
    from subscriptions.models import Tenant

    Attempt.objects.all().delete()
    Delivery.objects.all().delete()
    Event.objects.all().delete()
    Tenant.objects.filter(uid="bench").delete()
    ensure_event_type("bench.tick")
    create_endpoint("bench", url=receiver.url("/slow/0"))
    for i in range(9):
        create_endpoint("bench", url=receiver.url(f"/fast/{i}"))


def one_run(slow, rate, seconds):
    with harness.Run(slow_prefix="/slow" if slow else None, slow_seconds=SLOW_SECONDS) as run:
        prepare(run.receiver)
        run.start_worker()
        start = time.time()
        published = harness.steady_publish(rate, seconds)
        expected_fast = len(published) * 9
        receiver_ok = run.receiver.wait_for(expected_fast, timeout=60, path_prefix="/fast")
        records = run.receiver.records()
        fast = [r for r in records if r[1].startswith("/fast")]
        lat = harness.latencies_ms(records, published, lambda p: p.startswith("/fast"))
        end = max(r[0] for r in fast) if fast else time.time()
        return {
            "fast received": len(fast), "expected": expected_fast, "complete": receiver_ok,
            "fast deliveries/s": len(fast) / (end - start),
            "p50 ms": harness.percentile(lat, 0.5), "p99 ms": harness.percentile(lat, 0.99),
            "slow received": len([r for r in records if r[1].startswith("/slow")]),
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    harness.setup_django()
    harness.purge_broker()
    rows = {"baseline (no slow endpoint)": one_run(False, args.rate, args.seconds),
            f"one endpoint takes {SLOW_SECONDS} s": one_run(True, args.rate, args.seconds)}
    print(f"\n{args.rate:g} events/s for {args.seconds:g} s to 10 endpoints; figures for the 9 fast ones")
    print(f"{'run':30} {'received':>9} {'deliv/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'slow got':>9}")
    for name, r in rows.items():
        print(f"{name:30} {r['fast received']:>5}/{r['expected']:<4}"
              f"{r['fast deliveries/s']:8.1f} {r['p50 ms']:8.1f} {r['p99 ms']:8.1f} {r['slow received']:9d}")


if __name__ == "__main__":
    main()
