"""A worker process's sending threads, shared by every batch it runs.

Why: a batch must not hold its worker slot while one slow receiver takes its
time.  Each batch waits for its requests only up to ``WEBHOOKS_BATCH_PATIENCE``
seconds and records those that finished; the rest are recorded by this
process's recorder thread as they finish.  Each endpoint may have at most
``WEBHOOKS_ENDPOINT_CONCURRENCY`` requests in flight per process, so a slow
endpoint holds a few threads and never all of them; deliveries over that go
back to the database for a moment later.
"""

import logging
import os
import queue
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait

from django.db import close_old_connections

logger = logging.getLogger("delivery.send_pool")


class SendPool:
    def __init__(self, threads, per_endpoint):
        self.threads = threads
        self.per_endpoint = per_endpoint
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-send")
        self.in_flight = Counter()
        self.total = 0
        self.lock = threading.Condition()
        self.late = queue.Queue()
        threading.Thread(target=self._record_late, name="webhook-recorder", daemon=True).start()

    def admit(self, deliveries, wait_seconds):
        """Split deliveries into those this process may send now and those whose endpoint is busy.

        Waits (up to ``wait_seconds``) while the process already has two
        threads' worth of requests, which bounds how long a request queues.
        """
        with self.lock:
            self.lock.wait_for(lambda: self.total < 2 * self.threads, timeout=wait_seconds)
            admitted, busy = [], []
            for delivery in deliveries:
                if self.in_flight[delivery.endpoint_id] < self.per_endpoint:
                    self.in_flight[delivery.endpoint_id] += 1
                    self.total += 1
                    admitted.append(delivery)
                else:
                    busy.append(delivery)
        return admitted, busy

    def _done(self, endpoint_id):
        with self.lock:
            self.in_flight[endpoint_id] -= 1
            if not self.in_flight[endpoint_id]:
                del self.in_flight[endpoint_id]
            self.total -= 1
            self.lock.notify_all()

    def run(self, deliveries, send_one, record, patience):
        """Send each delivery with ``send_one``; ``record(deliveries, results)`` the finished ones.

        Returns after every request finished or ``patience`` seconds, whichever
        is first; later results go to ``record`` from the recorder thread.
        """
        def task(delivery):
            try:
                return send_one(delivery)
            finally:
                self._done(delivery.endpoint_id)

        futures = {self.executor.submit(task, d): d for d in deliveries}
        done, pending = wait(futures, timeout=patience)
        finished = [f for f in futures if f in done]
        if finished:
            record([futures[f] for f in finished], [f.result() for f in finished])
        for future in pending:
            future.add_done_callback(lambda f, d=futures[future]: self.late.put((d, f, record)))
        return len(finished), len(pending)

    def _record_late(self):
        while True:
            items = [self.late.get()]
            while not self.late.empty() and len(items) < 100:
                items.append(self.late.get_nowait())
            by_record = {}
            for delivery, future, record in items:
                by_record.setdefault(record, ([], []))
                by_record[record][0].append(delivery)
                by_record[record][1].append(future.result())
            for record, (deliveries, results) in by_record.items():
                try:
                    close_old_connections()
                    record(deliveries, results)
                except Exception:  # the lease lapses and the dispatcher tries again
                    logger.exception("recording %d late outcomes failed", len(deliveries))


_pool = None
_pool_pid = None
_pool_lock = threading.Lock()


def pool(threads, per_endpoint):
    """This process's pool (a new one after a fork)."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        with _pool_lock:
            if _pool is None or _pool_pid != os.getpid():
                _pool, _pool_pid = SendPool(threads, per_endpoint), os.getpid()
    return _pool
