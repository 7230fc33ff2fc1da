"""A hostile tenant must not slow another tenant's deliveries (M4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/tenant_fairness.py [--rate 10] [--seconds 15]

The normal tenant has 5 endpoints that answer at once and publishes
``--rate`` events/s.  The hostile tenant has 100 endpoints, all taking 2 s to
answer, and publishes ``--hostile-rate`` events/s at the same time (100 slow
requests/s by default: a 2 s request each wants 200 threads, against the
worker's 32).  Prints the normal tenant's delivery
rate and publish-to-receipt p50/p99: alone (baseline); beside a benign tenant
that publishes the same volume to endpoints that answer at once (the load
alone, no hostility: on a small machine the other tenant's work costs CPU
whatever it does); beside the hostile tenant with the per-tenant share of
the sending threads; and beside it with the share as large as the pool (no
tenant fairness, as before M4).
Loopback only, bounded in count and time.
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

SLOW_SECONDS = 2
OTHER_ENDPOINTS = 100
NORMAL_ENDPOINTS = 5


def other_publisher(rate, seconds, stop):
    """The other tenant's publishes, in a thread with its own database connection."""
    from django.db import connection

    try:
        harness.steady_publish(rate, seconds, tenant="bench-other")
    finally:
        stop.set()
        connection.close()


def one_run(rate, seconds, other_rate, tenant_concurrency=None, other_prefix="/slow"):
    """The normal tenant's figures beside another tenant publishing ``other_rate`` events/s to
    endpoints under ``other_prefix`` (``/slow`` ones take 2 s to answer)."""
    os.environ.pop("WEBHOOKS_TENANT_CONCURRENCY", None)
    if tenant_concurrency:
        os.environ["WEBHOOKS_TENANT_CONCURRENCY"] = str(tenant_concurrency)
    with harness.Run(slow_prefix="/slow", slow_seconds=SLOW_SECONDS) as run:
        harness.reset_data()
        harness.make_endpoints(run.receiver, NORMAL_ENDPOINTS, tenant="bench-normal", prefix="/fast")
        harness.make_endpoints(run.receiver, OTHER_ENDPOINTS, tenant="bench-other", prefix=other_prefix)
        run.start_worker()
        stop = threading.Event()
        if other_rate:
            threading.Thread(target=other_publisher, args=(other_rate, seconds, stop), daemon=True).start()
        start = time.time()
        published = harness.steady_publish(rate, seconds, tenant="bench-normal")
        expected = len(published) * NORMAL_ENDPOINTS
        complete = run.receiver.wait_for(expected, timeout=60, path_prefix="/fast")
        stop.wait(30 if other_rate else 0)
        records = run.receiver.records()
        fast = [r for r in records if r[1].startswith("/fast")]
        lat = harness.latencies_ms(records, published, lambda p: p.startswith("/fast"))
        end = max(r[0] for r in fast) if fast else time.time()
        return {"received": len(fast), "expected": expected, "complete": complete,
                "rate": len(fast) / (end - start), "p50": harness.percentile(lat, 0.5),
                "p99": harness.percentile(lat, 0.99),
                "other": len([r for r in records if r[1].startswith(other_prefix)])}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--hostile-rate", type=float, default=1)
    args = parser.parse_args()
    harness.setup_django()
    harness.purge_broker()
    from subscriptions import conf

    threads = conf.get().send_concurrency
    rows = {"normal tenant alone": one_run(args.rate, args.seconds, 0),
            "beside benign, same volume": one_run(args.rate, args.seconds, args.hostile_rate, other_prefix="/busy"),
            "beside hostile, tenant share": one_run(args.rate, args.seconds, args.hostile_rate),
            "beside hostile, no share": one_run(args.rate, args.seconds, args.hostile_rate, tenant_concurrency=threads)}
    print(f"\nnormal: {args.rate:g} events/s for {args.seconds:g} s to {NORMAL_ENDPOINTS} endpoints; hostile: "
          f"{args.hostile_rate:g} events/s to {OTHER_ENDPOINTS} endpoints (hostile: taking {SLOW_SECONDS} s)")
    print(f"{'run':30} {'received':>9} {'deliv/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'other got':>9}")
    alone, benign = rows["normal tenant alone"], rows["beside benign, same volume"]
    for name, r in rows.items():
        ratios = (f"rate {r['rate'] / alone['rate']:.0%} and p99 {r['p99'] / alone['p99']:.0%} of alone; "
                  f"rate {r['rate'] / benign['rate']:.0%} and p99 {r['p99'] / benign['p99']:.0%} of beside benign")
        print(f"{name:30} {r['received']:>5}/{r['expected']:<4}{r['rate']:8.1f} {r['p50']:8.1f} {r['p99']:8.1f}"
              f" {r['other']:9d}   {ratios}")


if __name__ == "__main__":
    main()
