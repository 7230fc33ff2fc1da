"""Worker memory over many deliveries: RSS of the whole worker (main process and children)."""

import time

from bench import harness
from bench.throughput import publish_all

ENDPOINTS = 40


def measure(deliveries, limit_s=900):
    """{"ready_mb", "warm_mb", "end_mb", "received", "seconds"}: RSS at ready, after 2 % warm-up, at the end."""
    events = max(1, deliveries // ENDPOINTS)
    warm_events = max(1, events // 50)
    with harness.Run() as run:
        harness.reset_data()
        harness.make_endpoints(run.receiver, ENDPOINTS)
        run.start_worker()
        ready = run.worker.rss_mb()
        publish_all(warm_events)
        run.receiver.wait_for(warm_events * ENDPOINTS, timeout=limit_s)
        warm = run.worker.rss_mb()
        start = time.time()
        deadline = start + limit_s
        for _ in range(events - warm_events):
            publish_all(1)
            if time.time() > deadline:
                break
        run.receiver.wait_for(events * ENDPOINTS, timeout=max(1, deadline - time.time()))
        time.sleep(1)
        return {"ready_mb": ready, "warm_mb": warm, "end_mb": run.worker.rss_mb(),
                "received": run.receiver.count(), "seconds": time.time() - start}
