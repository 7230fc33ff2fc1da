"""An endpoint's rate limit, seen from the receiver: never more than its share in a second, nothing lost."""

import time
from collections import Counter

import pytest

from delivery import publish
from delivery.models import Delivery
from subscriptions import create_endpoint, ensure_event_type
from tests.worker import wait_until

pytestmark = pytest.mark.e2e

LIMIT = 5
EVENTS = 40


def start_of_next_second():
    time.sleep(1.05 - time.time() % 1)


def test_rate_limited_endpoint_gets_at_most_its_limit_per_second_and_everything(live_worker, receiver):
    ensure_event_type("load.tick")
    endpoint = create_endpoint("org_rate", url=receiver.url("/limited"), rate_limit=LIMIT)
    start_of_next_second()  # the first window is then a whole one
    events = [publish("load.tick", {"n": n}, tenant="org_rate").id for n in range(EVENTS)]

    got = receiver.wait_for(EVENTS, "/limited", timeout=90)
    wait_until(lambda: Delivery.objects.filter(endpoint=endpoint, status="succeeded").count() == EVENTS,
               timeout=30, what="every delivery recorded as succeeded")
    time.sleep(1)  # nothing more may come
    got = receiver.to("/limited")

    per_second = Counter(int(request.at) for request in got)
    first, last = min(per_second), max(per_second)
    print(f"\n[rate limit {LIMIT}/s] {len(got)} requests over {last - first + 1} s; per second: "
          f"{[per_second.get(second, 0) for second in range(first, last + 1)]}")
    assert sorted(request.headers["webhook-id"] for request in got) == sorted(events)
    assert max(per_second.values()) <= LIMIT
    assert last - first + 1 >= EVENTS // LIMIT
