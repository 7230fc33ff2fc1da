"""M4 with a real worker: a hostile tenant's many slow endpoints hold its share of the threads, not all of them."""

import time

from delivery import publish
from subscriptions import create_endpoint
from tests.worker import wait_until

SLOW = 4.0  # seconds each of the hostile tenant's endpoints takes to answer
ENV = {"WEBHOOKS_SEND_CONCURRENCY": "6", "WEBHOOKS_TENANT_CONCURRENCY": "3", "WEBHOOKS_ENDPOINT_CONCURRENCY": "1",
       "WEBHOOKS_TIMEOUT": "6"}


def test_a_hostile_tenants_slow_endpoints_do_not_block_another_tenants_deliveries(own_workers, receiver,
                                                                                     invoice_paid):
    """M4: with every thread of the worker wanted by a hostile tenant's slow endpoints, the other tenant's
    deliveries still go out at once (before M4 they waited behind the slow requests)."""
    for n in range(20):
        create_endpoint("hostile", url=receiver.url(f"/slow/{n}"))
        receiver.delays[f"/slow/{n}"] = SLOW
    create_endpoint("normal", url=receiver.url("/fast"))
    own_workers(extra_env=ENV, concurrency=1)
    for n in range(3):
        publish("invoice.paid", {"n": n}, tenant="hostile")
    wait_until(lambda: len([r for r in receiver.requests if r.path.startswith("/slow")]) >= 3, timeout=30,
               what="the hostile tenant's requests under way")
    published = time.time()
    for n in range(5):
        publish("invoice.paid", {"n": n}, tenant="normal")
    arrived = receiver.wait_for(5, "/fast", timeout=30)
    waited = max(r.at for r in arrived) - published
    assert waited < SLOW * 0.6, f"the normal tenant waited {waited:.1f} s behind the hostile one"
    slow_in_flight = len([r for r in receiver.requests if r.path.startswith("/slow") and r.at < published + 1])
    assert slow_in_flight <= 3  # the hostile tenant's share of this worker's threads
