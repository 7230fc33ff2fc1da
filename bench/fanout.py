"""One event to many endpoints: how long ``publish`` takes, and until the last receipt."""

import time

from bench import harness


def _timed_publish(tenant):
    """Publish one event in its own transaction; returns ``(event, ms)``.

    Each pays the whole hand-off: the fan-out request a worker would have
    taken up by now is taken down first, so this publish sends a task.
    """
    from django.db import transaction

    from delivery import publish
    from delivery.handoff import fan_out_request

    fan_out_request.take()
    start = time.perf_counter()
    with transaction.atomic():
        event = publish("bench.tick", {"n": 0, "padding": "x" * 700}, tenant=tenant)
    return event, (time.perf_counter() - start) * 1000


def measure(endpoints, limit_s=300):
    """{"publish_ms_1", "publish_ms", "publish_ms_first", "received", "seconds", "complete"}.

    Publish times (1 and ``endpoints`` endpoints, best of 5 each) include the
    commit and the on-commit hand-off to the broker.  The last receipt is
    that of the first event to ``endpoints`` endpoints; the four more events
    timed after it are published with the worker stopped, so that their
    fan-outs neither slow the timing nor add 40,000 deliveries to wait for.
    """
    with harness.Run() as run:
        receiver = run.receiver
        harness.reset_data()
        harness.make_endpoints(receiver, 1, prefix="/one")
        run.start_worker()
        _timed_publish("bench")  # warm this process
        receiver.wait_for(1, timeout=30)
        one = min(_timed_publish("bench")[1] for _ in range(5))
        receiver.wait_for(6, timeout=30)
        # Another tenant, not a reset: the worker is running.
        harness.make_endpoints(receiver, endpoints, tenant="benchfan", prefix="/many")
        base = receiver.count()
        start = time.time()
        _, first_ms = _timed_publish("benchfan")
        ok = receiver.wait_for(base + endpoints, timeout=limit_s)
        end = max(r[0] for r in receiver.records())
        received = receiver.count() - base
        run.stop_worker()
        publish_ms = min([first_ms] + [_timed_publish("benchfan")[1] for _ in range(4)])
        return {"publish_ms_1": one, "publish_ms": publish_ms, "publish_ms_first": first_ms, "received": received,
                "seconds": end - start, "complete": ok}
