"""What content filters cost the fan-out: one event to 10,000 endpoints that all have a filter, against the
same endpoints without one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_route .venv/bin/python bench/fanout_filters.py [--endpoints N]

Times ``fanout.fan_out_for_sending`` itself (claim the event, load the
endpoints, match, INSERT the deliveries, in one transaction), with nothing
sent: the receipt side is ``bench/fanout.py``'s.  The filters match (the same
10,000 deliveries are made either way); a row where none matches is shown
too; the process's own CPU time is shown beside the wall time, as a
figure less shaken by a busy machine.  Each mode has a tenant of its own with its endpoints made once (no
UPDATE between rounds to bloat the table); modes take turns, 7 rounds,
median and spread.  Local database only.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

TENANT = "benchfilter"
DATA = {"amount": 1500, "currency": "EUR", "customer": {"country": "DE", "tags": ["vip"]}, "padding": "x" * 700}
FILTERS = {
    "unfiltered": None,
    "filtered, all match": {"data.amount": {"$gte": 1000}, "data.currency": {"$in": ["EUR", "USD"]},
                            "data.customer.country": {"$ne": "FR"}},
    "filtered, none match": {"data.amount": {"$gte": 1000}, "data.currency": {"$in": ["GBP"]}},
}


def _new_event(tenant):
    from django.utils import timezone

    from delivery.models import Event
    from delivery.wire import render_body
    from subscriptions.models import Tenant

    now = timezone.now()
    return Event.objects.create(tenant=Tenant.objects.get(uid=tenant), event_type="bench.tick",
                                body=render_body("bench.tick", DATA, now), occurred_at=now)


def _make_tenant(position, document, endpoints):
    from django.db import connection

    from subscriptions.models import Endpoint

    receiver_stub = type("R", (), {"url": staticmethod(lambda path: f"http://127.0.0.1:9{path}")})
    tenant = f"{TENANT}{position}"
    harness.make_endpoints(receiver_stub, endpoints, tenant=tenant, prefix="/filtered")
    Endpoint.objects.filter(tenant__uid=tenant).update(filter=document)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE hookplatform_endpoint")
    return tenant


def _one_fan_out(tenant):
    from delivery import fanout
    from delivery.models import Delivery

    event = _new_event(tenant)
    start, cpu = time.perf_counter(), time.process_time()
    rows, _, _ = fanout.fan_out_for_sending(event.pk, send_now=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    Delivery.objects.filter(event=event).delete()
    return seconds, cpu, len(rows)


def measure(endpoints, rounds=7):
    harness.reset_data(TENANT)
    tenants = {mode: _make_tenant(i, document, endpoints) for i, (mode, document) in enumerate(FILTERS.items())}
    for tenant in tenants.values():
        _one_fan_out(tenant)  # warm up
    times, cpus, made = {mode: [] for mode in FILTERS}, {mode: [] for mode in FILTERS}, {}
    for _ in range(rounds):
        for mode, tenant in tenants.items():
            seconds, cpu, made[mode] = _one_fan_out(tenant)
            times[mode].append(seconds)
            cpus[mode].append(cpu)
    harness.reset_data(TENANT)
    return {mode: (statistics.median(t), min(t), max(t), statistics.median(cpus[mode]), made[mode])
            for mode, t in times.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=10_000)
    args = parser.parse_args()
    harness.setup_django()
    from django.db import connection

    results = measure(args.endpoints)
    base = results["unfiltered"][0]
    base_cpu = results["unfiltered"][3]
    print(f"fan-out of one event to {args.endpoints} endpoints ({connection.vendor}), median of 7 (min-max), "
          "and this process's CPU (median):")
    for mode, (median, low, high, cpu, made) in results.items():
        wall = f"{median * 1000:8.1f} ms ({low * 1000:.1f}-{high * 1000:.1f}) {median / base * 100 - 100:+6.1f} %"
        print(f"  {mode:22} {wall}  cpu {cpu * 1000:7.1f} ms {cpu / base_cpu * 100 - 100:+6.1f} %  {made:6} deliveries")


if __name__ == "__main__":
    main()
