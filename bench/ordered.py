"""Ordered delivery: one ordered endpoint's throughput to a fast receiver, and what a long line costs a claim.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/ordered.py [--events 1000] [--line 100000]

Throughput: ``--events`` events to one ordered endpoint and one unordered
endpoint of the same tenant, one worker (``-c 2``, beat inside); end to end
(worker running, first publish to the ordered endpoint's last receipt) and
delivery side (published with no worker, then the worker's ready time to the
last receipt).  Each run checks that the ordered endpoint got every event once,
in publish order.  Then the ordered endpoint alone, with the worker's CPU
per delivery (what bounds the line on a quiet machine).  Claims: the median time of ``claim_heads`` and ``claim_due``
with a line of ``--line`` waiting deliveries behind a head that is out (the line
is not in the dispatcher's queue, so neither grows with it).  Loopback only,
bounded in count and time.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

PADDING = 700  # a ~1 KB signed body, as the other throughput figures


def prepare(receiver):
    from subscriptions import create_endpoint

    harness.purge_broker()
    harness.reset_data()
    create_endpoint("bench", url=receiver.url("/ordered"), event_types=["bench.*"], ordered=True)
    create_endpoint("bench", url=receiver.url("/plain"), event_types=["bench.*"])


def publish_all(events):
    from delivery import publish

    return [publish("bench.tick", {"n": i, "padding": "x" * PADDING}, tenant="bench").id for i in range(events)]


def outcome(run, event_ids, start, limit_s):
    """(ordered per s, unordered per s, in order and once, complete) from the receiver's records."""
    complete = run.receiver.wait_for(len(event_ids), timeout=limit_s, path_prefix="/ordered")
    records = run.receiver.records()
    ordered = [r for r in records if r[1] == "/ordered"]
    plain = [r for r in records if r[1] == "/plain"]
    in_order = [r[2] for r in ordered] == event_ids
    rate = lambda rows: len(rows) / (max(r[0] for r in rows) - start) if rows else 0.0  # noqa: E731
    return rate(ordered), rate(plain), in_order, complete


def end_to_end(events, limit_s):
    with harness.Run() as run:
        prepare(run.receiver)
        run.start_worker(2)
        start = time.time()
        event_ids = publish_all(events)
        return outcome(run, event_ids, start, limit_s)


def delivery_side(events, limit_s):
    with harness.Run() as run:
        prepare(run.receiver)
        event_ids = publish_all(events)
        start = run.start_worker(2)
        return outcome(run, event_ids, start, limit_s)


def cpu_seconds(worker):
    """User and system CPU seconds of every process of the worker so far (Linux ``/proc``)."""
    total = 0
    for pid in worker.pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def ordered_only(events, limit_s):
    """(per s, worker CPU ms per delivery, in order and once, complete): the ordered endpoint alone,
    published with no worker, then the worker's ready time to its last receipt.  The CPU per delivery
    bounds the line's speed on a machine with nothing else to do (the line runs one step at a time)."""
    from subscriptions.models import Endpoint

    with harness.Run() as run:
        prepare(run.receiver)
        Endpoint.objects.filter(url__endswith="/plain").delete()
        event_ids = publish_all(events)
        start = run.start_worker(2)
        cpu_before = cpu_seconds(run.worker)
        per_s, _, in_order, complete = outcome(run, event_ids, start, limit_s)
        cpu = cpu_seconds(run.worker) - cpu_before
        return per_s, cpu * 1000 / len(event_ids), in_order, complete


def claim_costs(line, repeats=20):
    """Median ms of ``claim_heads`` and ``claim_due`` with ``line`` deliveries in one line: while its
    head is out (nothing to claim), and when the head may go (claimed, then rolled back)."""
    from django.db import transaction
    from django.utils import timezone

    from delivery import states
    from delivery.models import Delivery, Event
    from subscriptions import create_endpoint
    from subscriptions.tenants import resolve_tenant

    harness.reset_data()
    endpoint = create_endpoint("bench", url="http://127.0.0.1:9/ordered", ordered=True)
    tenant = resolve_tenant("bench")
    now = timezone.now()
    written = time.time()
    for first in range(0, line, 10_000):
        events = Event.objects.bulk_create([Event(tenant=tenant, event_type="bench.tick", body="{}", fanned_out_at=now)
                                            for _ in range(min(10_000, line - first))])
        states.create_in_line([Delivery(event=e, endpoint=endpoint, tenant=tenant) for e in events], now=now)
    written = time.time() - written
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE") if connection.vendor == "postgresql" else None

    def timed(claim, expect_claimed):
        with transaction.atomic():
            began = time.perf_counter()
            claimed = claim(50)[0]
            spent = (time.perf_counter() - began) * 1000
            transaction.set_rollback(True)
        assert bool(claimed) == expect_claimed, claimed
        return spent

    timings = {}
    for label, expect in (("head may go", True), ("head is out", False)):
        if not expect:
            states.claim_heads(1)  # the head is out: the rest of the line waits
        for name, claim in (("claim_heads", states.claim_heads), ("claim_due", states.claim_due)):
            timings[f"{name}, {label}"] = statistics.median(
                timed(claim, expect and name == "claim_heads") for _ in range(repeats))
    return timings, written


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--line", type=int, default=100_000)
    parser.add_argument("--limit", type=float, default=120, help="seconds a run may take")
    args = parser.parse_args()
    harness.setup_django()
    from django.db import connection

    rows = {"end to end": end_to_end(args.events, args.limit),
            "delivery side": delivery_side(args.events, args.limit)}
    print(f"\n{args.events} events to one ordered and one unordered endpoint, database {connection.vendor}, "
          "worker -c 2")
    print(f"{'mode':14} {'ordered/s':>10} {'unordered/s':>12} {'in order, once':>15}")
    for mode, (ordered, plain, in_order, complete) in rows.items():
        print(f"{mode:14} {ordered:10.0f} {plain:12.0f} {str(in_order):>15}" + ("" if complete else "  (timed out)"))
    per_s, cpu_ms, in_order, complete = ordered_only(args.events, args.limit)
    print(f"\nordered endpoint alone, delivery side: {per_s:.0f}/s, worker CPU {cpu_ms:.1f} ms per delivery, "
          f"in order and once: {in_order}" + ("" if complete else "  (timed out)"))
    if args.line:
        medians, written = claim_costs(args.line)
        print(f"\nclaims with a line of {args.line} waiting deliveries (written in {written:.1f} s), median ms:")
        for name, ms in medians.items():
            print(f"{name:30} {ms:6.2f}")


if __name__ == "__main__":
    main()
