"""The per-process send pool: a slow endpoint holds its own few threads and never the rest."""

import threading
import time
from types import SimpleNamespace

from delivery.send_pool import SendPool


def deliveries(endpoint, count):
    return [SimpleNamespace(endpoint_id=endpoint, n=i) for i in range(count)]


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
