"""A worker process's sending threads, shared by every batch it runs.

Why: a batch must not hold its worker slot while one slow receiver takes its
time.  Each batch waits for its requests only up to ``WEBHOOKS_BATCH_PATIENCE``
seconds and records those that finished; the rest are recorded by this
process's recorder thread as they finish.  Each endpoint may have at most
``WEBHOOKS_ENDPOINT_CONCURRENCY`` requests in flight per process, and a short
line behind them; a slow endpoint therefore holds a few threads, never all of
them.  A batch's deliveries enter their endpoint's line as it has room, for
as long as the batch's patience lasts; what is still left out goes back to
the database for later.
"""

import logging
import os
import queue
import threading
import time
from collections import Counter, defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.db import close_old_connections

logger = logging.getLogger("delivery.send_pool")

# Requests an endpoint may have waiting per request in flight, in this process.
LINE_PER_SLOT = 2


class _Batch:
    """How many of one ``run``'s requests are still to finish (changed under the pool's lock)."""

    def __init__(self):
        self.unfinished = 0


class SendPool:
    def __init__(self, threads, per_endpoint):
        self.threads = threads
        self.per_endpoint = per_endpoint
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-send")
        self.running = Counter()  # endpoint id -> requests handed to a thread
        self.waiting = defaultdict(deque)  # endpoint id -> requests in its line
        self.submitted = 0
        self.lock = threading.Condition()
        self.late = queue.Queue()
        threading.Thread(target=self._record_late, name="webhook-recorder", daemon=True).start()

    def _line(self, endpoint):
        """How many more requests ``endpoint`` may have in flight and in its line here (under the lock)."""
        return self.per_endpoint * (1 + LINE_PER_SLOT) - self.running[endpoint] - len(self.waiting.get(endpoint, ()))

    def _enter_lines(self, deliveries, futures, send_one, batch):
        """Schedule the deliveries whose endpoint has room; returns the others (under the lock)."""
        rest = []
        for delivery in deliveries:
            if self._line(delivery.endpoint_id) > 0:
                future = Future()
                futures[future] = delivery
                batch.unfinished += 1
                self._schedule((delivery, future, send_one, batch))
            else:
                rest.append(delivery)
        return rest

    def _schedule(self, job):
        """Hand a job to a thread, or put it in its endpoint's line (under the lock)."""
        endpoint = job[0].endpoint_id
        if self.running[endpoint] < self.per_endpoint:
            self.running[endpoint] += 1
            self.submitted += 1
            self.executor.submit(self._work, job)
        else:
            self.waiting[endpoint].append(job)

    def _work(self, job):
        delivery, future, send_one, batch = job
        try:
            future.set_result(send_one(delivery))
        except BaseException as exc:
            future.set_exception(exc)
        finally:
            endpoint = delivery.endpoint_id
            with self.lock:
                batch.unfinished -= 1
                self.running[endpoint] -= 1
                self.submitted -= 1
                if not self.running[endpoint]:
                    del self.running[endpoint]
                line = self.waiting.get(endpoint)
                if line:
                    self._schedule(line.popleft())
                if line is not None and not line:
                    del self.waiting[endpoint]
                self.lock.notify_all()

    def run(self, deliveries, send_one, record, patience, wait_seconds=0):
        """Send each delivery with ``send_one``; ``record(deliveries, results)`` the finished ones.

        First waits (up to ``wait_seconds``) while the threads already have two
        requests each to do, which bounds how long a request queues.  Then, for
        up to ``patience`` seconds, the batch waits for its requests, and its
        deliveries enter their endpoint's line as the batch's own requests make
        room (room that only other batches' requests could make, such as those
        of an endpoint slow to answer, is not waited for); later results go to
        ``record`` from the recorder thread.  Returns ``(finished, pending,
        turned_away)``: the deliveries that found no room in their endpoint's
        line, which the caller gives back.
        """
        futures, batch = {}, _Batch()
        with self.lock:
            self.lock.wait_for(lambda: self.submitted < 2 * self.threads, timeout=wait_seconds)
            deadline = time.monotonic() + patience
            turned_away = self._enter_lines(deliveries, futures, send_one, batch)
            while turned_away and batch.unfinished and self.lock.wait(max(0.0, deadline - time.monotonic())):
                turned_away = self._enter_lines(turned_away, futures, send_one, batch)
        done, pending = wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        finished = [f for f in futures if f in done]
        if finished:
            record([futures[f] for f in finished], [f.result() for f in finished])
        for future in pending:
            future.add_done_callback(lambda f, d=futures[future]: self.late.put((d, f, record)))
        return len(finished), len(pending), turned_away

    def _record_late(self):
        while True:
            items = [self.late.get()]
            while not self.late.empty() and len(items) < 100:
                items.append(self.late.get_nowait())
            by_record = {}
            for delivery, future, record in items:
                deliveries, results = by_record.setdefault(record, ([], []))
                deliveries.append(delivery)
                results.append(future.result())
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
