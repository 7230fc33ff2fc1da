"""A load of deliveries for the fault tests, and the tally of what arrived."""

import time
from collections import Counter

from delivery import publish
from delivery.models import Delivery
from subscriptions import create_endpoint, ensure_event_type
from tests.worker import wait_until

PATHS = ("/one", "/two")


def publish_load(receiver, events, *, delay=0.02):
    """``events`` events to two endpoints, each answering after ``delay`` s; returns the event ids."""
    ensure_event_type("load.tick")
    for path in PATHS:
        create_endpoint("org_load", url=receiver.url(path))
        receiver.delays[path] = delay
    return [publish("load.tick", {"n": n}, tenant="org_load").id for n in range(events)]


def arrived(receiver):
    return len(receiver.requests)


def wait_for_all_succeeded(event_ids, timeout):
    expected = len(event_ids) * len(PATHS)
    wait_until(lambda: Delivery.objects.filter(status="succeeded").count() >= expected, timeout=timeout,
               interval=0.5, what=f"all {expected} deliveries succeeded")


def tally(receiver, event_ids, label):
    """Print and return ``(lost, duplicates)``: pairs never received, extra receptions."""
    time.sleep(1)  # stragglers of a dead worker's last batch
    seen = Counter((r.path, r.headers["webhook-id"]) for r in receiver.requests)
    expected = {(path, event_id) for path in PATHS for event_id in event_ids}
    lost = len(expected - set(seen))
    duplicates = sum(count - 1 for count in seen.values())
    print(f"\n[{label}] deliveries={len(expected)} received={sum(seen.values())} "
          f"lost={lost} duplicates={duplicates}")
    return lost, duplicates
