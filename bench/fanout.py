"""One event to many endpoints: how long ``publish`` takes, and until the last receipt."""

import time

from bench import harness


def _timed_publish(tenant):
    from django.db import transaction

    from delivery import publish

    start = time.perf_counter()
    with transaction.atomic():
        event = publish("bench.tick", {"n": 0, "padding": "x" * 700}, tenant=tenant)
    return event, (time.perf_counter() - start) * 1000


def measure(endpoints, limit_s=300):
    """{"publish_ms_1", "publish_ms", "received", "seconds", "complete"} for 1 and ``endpoints`` endpoints.

    ``publish_ms`` includes the commit and the on-commit hand-off to the broker.
    """
    receiver = harness.ReceiverProcess()
    worker = None
    try:
        harness.reset_data()
        harness.make_endpoints(receiver, 1, prefix="/one")
        worker = harness.WorkerProcess(harness.bench_env(), concurrency=2, beat=True)
        worker.wait_ready()
        _timed_publish("bench")  # warm this process
        receiver.wait_for(1, timeout=30)
        one = min(_timed_publish("bench")[1] for _ in range(5))
        receiver.wait_for(6, timeout=30)
        # Another tenant, not a reset: the worker is running.
        harness.make_endpoints(receiver, endpoints, tenant="benchfan", prefix="/many")
        base = receiver.count()
        start = time.time()
        _, publish_ms = _timed_publish("benchfan")
        ok = receiver.wait_for(base + endpoints, timeout=limit_s)
        end = max(r[0] for r in receiver.records())
        return {"publish_ms_1": one, "publish_ms": publish_ms, "received": receiver.count() - base,
                "seconds": end - start, "complete": ok}
    finally:
        if worker:
            worker.stop()
        receiver.stop()
