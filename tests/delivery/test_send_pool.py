"""The per-process send pool: a slow endpoint holds its own few threads and never the rest."""

import threading
import time
from collections import Counter
from types import SimpleNamespace

from delivery.send_pool import ROOM_WAIT_SECONDS, SendPool


def deliveries(endpoint, count, tenant=None):
    return [SimpleNamespace(endpoint_id=endpoint, tenant_id=tenant or f"tenant-of-{endpoint}", n=i)
            for i in range(count)]


class Recorder:
    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, items, results):
        with self.lock:
            self.calls.append((threading.current_thread().name, list(items), list(results)))

    def recorded(self):
        with self.lock:
            return [d for _, items, _ in self.calls for d in items]


def test_fast_endpoints_finish_while_a_slow_one_takes_its_time():
    pool = SendPool(threads=4, per_endpoint=2)
    running = {"slow": 0, "max_slow": 0}
    lock = threading.Lock()

    def send_one(delivery):
        if delivery.endpoint_id == "slow":
            with lock:
                running["slow"] += 1
                running["max_slow"] = max(running["max_slow"], running["slow"])
            time.sleep(0.8)
            with lock:
                running["slow"] -= 1
        return ("sent", delivery.n)

    slow, fast = deliveries("slow", 6), deliveries("fast-a", 5) + deliveries("fast-b", 5)
    batch = slow + fast
    record = Recorder()

    started = time.monotonic()
    finished, pending, turned_away = pool.run(batch, send_one, record, patience=0.5)

    assert time.monotonic() - started < 0.7  # the batch did not wait for the slow endpoint
    assert finished == 10 and pending == 6 and turned_away == []
    assert set(map(id, record.recorded())) == set(map(id, fast))
    deadline = time.monotonic() + 10
    while len(record.recorded()) < 16 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(map(id, record.recorded())) == set(map(id, batch))
    assert running["max_slow"] == 2  # its per-endpoint share, never every thread
    late_threads = {name for name, items, _ in record.calls[1:]}
    assert late_threads == {"webhook-recorder"}


def test_a_full_line_turns_further_deliveries_away():
    pool = SendPool(threads=2, per_endpoint=1)
    gate = threading.Event()
    first = deliveries("stuck", 3)  # one in flight, two in its line (1 + 2 per slot)
    assert pool.run(first, lambda d: gate.wait(5), Recorder(), patience=0)[2] == []
    record = Recorder()
    started = time.monotonic()
    finished, pending, turned_away = pool.run(deliveries("stuck", 2) + deliveries("other", 1),
                                              lambda d: "sent", record, patience=5)
    # Only the first batch's requests could make room: this one does not wait for that.
    assert time.monotonic() - started < 1
    assert [d.endpoint_id for d in turned_away] == ["stuck", "stuck"]
    assert (finished, pending) == (1, 0) and [d.endpoint_id for d in record.recorded()] == ["other"]
    gate.set()


def test_a_batch_bigger_than_its_endpoints_line_is_sent_whole_when_the_endpoint_keeps_up():
    pool = SendPool(threads=2, per_endpoint=1)
    batch = deliveries("fast", 20)  # the line holds 3
    order = []
    record = Recorder()
    finished, pending, turned_away = pool.run(batch, lambda d: order.append(d.n) or d.n, record, patience=5)
    assert (finished, pending, turned_away) == (20, 0, [])
    assert order == list(range(20))  # one at a time, in order: its share is one thread
    assert [d.n for d in record.recorded()] == list(range(20))


def wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_tenant_with_many_slow_endpoints_holds_only_its_share_of_the_threads():
    """M4: a tenant's many slow endpoints take its share of the threads; another tenant's requests still run."""
    pool = SendPool(threads=8, per_endpoint=2, per_tenant=4)
    gate, lock = threading.Event(), threading.Lock()
    running = Counter()
    most = Counter()

    def send_one(delivery):
        with lock:
            running[delivery.tenant_id] += 1
            most[delivery.tenant_id] = max(most[delivery.tenant_id], running[delivery.tenant_id])
        if delivery.tenant_id == "hostile":
            gate.wait(5)
        with lock:
            running[delivery.tenant_id] -= 1
        return "sent"

    hostile = [d for e in range(50) for d in deliveries(f"slow-{e}", 2, tenant="hostile")]
    finished, pending, turned_away = pool.run(hostile, send_one, Recorder(), patience=0.05)
    assert (finished, pending, len(turned_away)) == (0, 12, 88)  # 4 in flight, 8 in line: 4 * (1 + 2)
    record = Recorder()
    started = time.monotonic()
    normal = deliveries("normal-a", 6, tenant="normal") + deliveries("normal-b", 6, tenant="normal")
    assert pool.run(normal, send_one, record, patience=5) == (12, 0, [])
    assert time.monotonic() - started < 1
    gate.set()
    assert wait_until(lambda: not pool.running and not pool.waiting and not pool.tenant_waiting)
    assert most["hostile"] == 4  # its share, never all 8 threads


def test_a_finished_request_starts_its_tenants_next_line_when_its_own_is_empty():
    """M4: a request kept waiting by its tenant's share (not its endpoint's) starts when the tenant has room."""
    pool = SendPool(threads=4, per_endpoint=2, per_tenant=1)
    order, record = [], Recorder()
    batch = deliveries("a", 1, tenant="t") + deliveries("b", 2, tenant="t")
    assert pool.run(batch, lambda d: order.append((d.endpoint_id, d.n)) or d.n, record, patience=5) == (3, 0, [])
    assert order == [("a", 0), ("b", 0), ("b", 1)]


def test_the_recorder_thread_survives_a_send_that_raises():
    """L14: a send_one raising through the pool kills neither the recorder nor later late outcomes."""
    pool = SendPool(threads=2, per_endpoint=2)
    record = Recorder()
    gate = threading.Event()

    def send_one(delivery):
        gate.wait(5)
        if delivery.n == 0:
            raise KeyboardInterrupt("a bug, or a BaseException, inside the send")
        return "sent"

    first = deliveries("e", 2)
    assert pool.run(first, send_one, record, patience=0) == (0, 2, [])
    gate.set()
    assert wait_until(lambda: len(record.recorded()) == 1)
    later = deliveries("f", 2)
    slow = threading.Event()
    assert pool.run(later, lambda d: slow.wait(5) and "sent", record, patience=0) == (0, 2, [])
    slow.set()
    assert wait_until(lambda: len(record.recorded()) == 3)
    assert [d.n for d in record.recorded()] == [1, 0, 1] and record.calls[-1][0] == "webhook-recorder"


def test_a_raising_record_does_not_lose_the_batch_mates_late_outcomes():
    """M6: record (e.g. a host signal receiver) raising for the finished ones; the pending ones are still recorded."""
    pool = SendPool(threads=4, per_endpoint=2)
    gate = threading.Event()
    calls = []

    def record(items, results):
        calls.append([d.endpoint_id for d in items])
        if len(calls) == 1:
            raise RuntimeError("a host's signal receiver raised")

    batch = deliveries("fast", 1) + deliveries("slow", 2)
    try:
        pool.run(batch, lambda d: d.endpoint_id == "slow" and gate.wait(5), record, patience=0.3)
    except RuntimeError:
        pass
    assert calls == [["fast"]]
    gate.set()
    assert wait_until(lambda: sum(map(len, calls)) == 3)
    assert sorted(e for c in calls[1:] for e in c) == ["slow", "slow"]


def test_turned_away_deliveries_come_back_at_the_pace_their_share_sends():
    """M4: a tenant's backlog is not re-claimed whole every second; each gets the next slot of its share."""
    pool = SendPool(threads=4, per_endpoint=4, per_tenant=2)
    gate = threading.Event()
    hostile = [d for e in range(10) for d in deliveries(f"slow-{e}", 1, tenant="hostile")]
    turned_away = pool.run(hostile, lambda d: gate.wait(5), Recorder(), patience=0)[2]
    assert len(turned_away) == 4  # 2 in flight, 4 in line
    pool.pace[("tenant", "hostile")] = 2.0  # its requests take 2 s: its share of 2 sends one a second

    now = 1000.0
    first = pool.come_back_at(turned_away, now=now)
    # Behind the 6 in flight and in line (6 s), then one a second.
    assert first == [now + 7, now + 8, now + 9, now + 10]
    # The next ones queue behind those promised already.
    assert pool.come_back_at(turned_away[:2], now=now + 1) == [now + 11, now + 12]
    # Another tenant's are not behind them; an unknown pace counts as one second a request.
    other = deliveries("other", 20, tenant="other")
    other_turned_away = pool.run(other, lambda d: gate.wait(5), Recorder(), patience=0)[2]
    assert pool.come_back_at(other_turned_away[:1], now=now)[0] < now + 7
    gate.set()
    assert wait_until(lambda: not pool.running and not pool.waiting)


def test_turned_away_deliveries_come_back_after_a_second_at_least_and_an_hour_at_most():
    pool = SendPool(threads=2, per_endpoint=1)
    gate = threading.Event()
    turned_away = pool.run(deliveries("busy", 5), lambda d: gate.wait(5), Recorder(), patience=0)[2]
    pool.pace[("endpoint", "busy")] = 0.001
    assert pool.come_back_at(turned_away[:1], now=0.0) == [1.0]
    pool.pace[("endpoint", "busy")] = 10_000
    assert pool.come_back_at(turned_away[:1], now=0.0) == [3600.0]
    gate.set()
    assert wait_until(lambda: not pool.running and not pool.waiting)


def line_held_by_another_batch(pool, endpoint, seconds, release):
    """Fill ``endpoint``'s line (one in flight, two waiting) with requests that wait for ``release``, after one
    that took ``seconds`` (the endpoint's pace)."""
    def send(delivery):
        if delivery.n:
            release.wait(10)
        else:
            time.sleep(seconds)

    assert len(pool.run(deliveries(endpoint, 4), send, Recorder(), patience=0)[2]) == 1  # its line holds three
    time.sleep(seconds + 0.05)
    assert pool.run(deliveries(endpoint, 1), lambda d: release.wait(10), Recorder(), patience=0)[2] == []  # full again


def test_a_line_full_of_another_batchs_fast_requests_is_waited_for():
    pool, release = SendPool(threads=2, per_endpoint=1), threading.Event()
    line_held_by_another_batch(pool, "fast", 0.01, release)
    threading.Timer(0.05, release.set).start()
    finished, pending, turned_away = pool.run(deliveries("fast", 1), lambda d: "sent", Recorder(), patience=5)
    # Only the other batch's requests could make room, at a pace (10 ms) that brings it within the patience.
    assert turned_away == [] and finished == 1


def test_a_line_full_of_another_batchs_slow_requests_is_not_waited_for():
    pool, release = SendPool(threads=2, per_endpoint=1), threading.Event()
    line_held_by_another_batch(pool, "slow", ROOM_WAIT_SECONDS + 0.5, release)
    threading.Timer(0.1, release.set).start()
    # Room comes soon after the release, within this patience, but the pace (a request takes longer
    # than a batch may wait for room) says it would not: the one that does not fit is not kept waiting.
    turned_away = pool.run(deliveries("slow", 1), lambda d: "sent", Recorder(), patience=0.8)[2]
    assert len(turned_away) == 1
