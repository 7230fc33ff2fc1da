"""Publish-to-receipt latency at a light steady load, one endpoint."""

import time

from bench import harness


def measure(rate, seconds, limit_s=60):
    """{"count", "expected", "p50", "p95", "p99", "max"} in ms, from publish's return to arrival."""
    with harness.Run() as run:
        harness.reset_data()
        harness.make_endpoints(run.receiver, 1)
        run.start_worker()
        harness.steady_publish(min(rate, 10), 1)  # warm both worker processes
        run.receiver.wait_for(min(rate, 10), timeout=limit_s)
        time.sleep(0.5)
        published = harness.steady_publish(rate, seconds, padding=700)
        run.receiver.wait_for(len(published) + min(rate, 10), timeout=limit_s)
        lat = harness.latencies_ms(run.receiver.records(), published)
        return {"count": len(lat), "expected": len(published),
                **{name: harness.percentile(lat, q) for name, q in
                   (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))}}
