"""Failover: every worker killed with SIGKILL under load; seconds from a new worker's start to the last delivery.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/failover.py [--events 500] [--endpoints 4] [--json] [--root CHECKOUT]

One worker (prefork -c 2, beat inside, default settings) delivers events x
endpoints to a receiver that answers after 20 ms; when a third has arrived,
its whole process group is killed with SIGKILL and a new worker started.
Reported: seconds from the new worker's ready line to the last receipt, lost
deliveries and duplicates (against the deliveries in flight at the kill).
"""

import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import root  # noqa: E402

root.use()
from bench import harness  # noqa: E402

PADDING = 700


def wait_for_each(receiver, total, limit_s):
    """(complete, records) once ``total`` distinct deliveries arrived (duplicates do not count), plus 1 s."""
    deadline = time.time() + limit_s
    while time.time() < deadline:
        if receiver.count() >= total and len({(r[1], r[2]) for r in receiver.records()}) >= total:
            time.sleep(1)  # stragglers: late duplicates
            return True, receiver.records()
        time.sleep(0.1)
    return False, receiver.records()


def measure(events=500, endpoints=4, limit_s=300):
    from delivery import publish
    from delivery.models import Delivery

    total = events * endpoints
    with harness.Run(slow_prefix="/ep", slow_seconds=0.02) as run:
        harness.purge_broker()
        harness.reset_data()
        harness.make_endpoints(run.receiver, endpoints)
        run.start_worker(2)
        for i in range(events):
            publish("bench.tick", {"n": i, "padding": "x" * PADDING}, tenant="bench")
        run.receiver.wait_for(total // 3, timeout=limit_s)
        os.killpg(run.worker.process.pid, signal.SIGKILL)
        run.worker.process.wait(10)
        run.worker.log.close()
        run.worker = None
        at_kill = run.receiver.count()
        in_flight = Delivery.objects.filter(status="sending", send_started_at__isnull=False).count()
        started = run.start_worker(2)
        ok, records = wait_for_each(run.receiver, total, limit_s)
        seen = Counter(msg_id + path for _, path, msg_id in records)
        return {"seconds": max(r[0] for r in records) - started, "received": len(seen), "total": total,
                "duplicates": sum(c - 1 for c in seen.values()), "in_flight": in_flight, "at_kill": at_kill,
                "complete": ok}


def main():
    harness.events_endpoints_main(measure, __doc__)


if __name__ == "__main__":
    main()
