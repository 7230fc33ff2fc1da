"""A worker process's sending threads, shared by every batch it runs.

Why: a batch must not hold its worker slot while one slow receiver takes its
time.  Each batch waits for its requests only up to ``WEBHOOKS_BATCH_PATIENCE``
seconds and records those that finished; the rest are recorded by this
process's recorder thread as they finish.  Each endpoint may have at most
``WEBHOOKS_ENDPOINT_CONCURRENCY`` requests in flight per process, and each
tenant at most ``WEBHOOKS_TENANT_CONCURRENCY`` over all its endpoints, each
with a short line behind them; a slow endpoint, or a tenant with thousands of
slow endpoints, therefore holds a few threads, never all of them.  A batch's
deliveries enter their endpoint's line as it (and its tenant's share) has
room, for as long as the batch's patience lasts; what is still left out goes
back to the database to come back when its share can be expected to have room
(``come_back_at``): re-claiming a tenant's whole backlog every second would put
its churn ahead of every other tenant's work in the queue.
"""

import logging
import os
import queue
import threading
import time
from collections import Counter, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections

from subscriptions import conf

logger = logging.getLogger("delivery.send_pool")

# Requests an endpoint (or a tenant) may have waiting per request in flight, in this process.
LINE_PER_SLOT = 2
# Turned-away deliveries come back after at least this long, and at most this long.
COME_BACK_MIN_SECONDS = 1.0
COME_BACK_MAX_SECONDS = 3600.0
# How long a batch may wait for room that other batches' requests make, when their pace says it comes
# by then: as long as a delivery given back would be away at least, so waiting is never the later of the
# two.  Given back, it comes back after a dispatcher tick too, and at full load it may find the lines
# full again and go back once more (a whole batch away for seconds).
ROOM_WAIT_SECONDS = COME_BACK_MIN_SECONDS
# Weight of the newest request in an endpoint's or tenant's running mean of request duration.
PACE_WEIGHT = 0.2


class _Batch:
    """One ``run``'s requests: how many are still to finish, the finished ones, and whether ``run`` has
    stopped waiting for the rest (then each goes to the recorder thread as it finishes).  Changed under
    the pool's lock: no future per request, no waiter installed on each."""

    __slots__ = ("unfinished", "finished", "late", "record")

    def __init__(self, record):
        self.unfinished, self.finished, self.late, self.record = 0, [], False, record


class _Job:
    """One delivery to send with ``send_one``, for ``batch``; then its ``result``, or the ``error`` it raised."""

    __slots__ = ("delivery", "send_one", "batch", "result", "error")

    def __init__(self, delivery, send_one, batch):
        self.delivery, self.send_one, self.batch, self.result, self.error = delivery, send_one, batch, None, None


class SendPool:
    def __init__(self, threads, per_endpoint, per_tenant=None):
        self.threads = threads
        self.per_endpoint = per_endpoint
        self.per_tenant = per_tenant or threads
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-send")
        self.running = Counter()  # endpoint id -> requests handed to a thread
        self.waiting = defaultdict(deque)  # endpoint id -> requests in its line
        self.tenant_running = Counter()  # tenant id -> requests handed to a thread
        self.tenant_waiting = Counter()  # tenant id -> requests in its endpoints' lines
        self.submitted = 0
        self.room_waiters = 0  # ``run`` calls waiting for any request to finish (room), not only their own
        self.pace = {}  # ("endpoint" | "tenant", id) -> running mean of a request's seconds
        self.booked = {}  # ("endpoint" | "tenant", id) -> wall time of the last slot promised to a turned-away one
        self.lock = threading.Condition()
        self.late = queue.Queue()
        threading.Thread(target=self._record_late, name="webhook-recorder", daemon=True).start()

    def _tenant_load(self, tenant):
        """Its requests in flight and in line, and how many it may have (under the lock)."""
        return self.tenant_running[tenant] + self.tenant_waiting[tenant], self.per_tenant * (1 + LINE_PER_SLOT)

    def _endpoint_load(self, endpoint):
        """Its requests in flight and in line, and how many it may have (under the lock)."""
        return self.running[endpoint] + len(self.waiting.get(endpoint, ())), self.per_endpoint * (1 + LINE_PER_SLOT)

    def _has_room(self, delivery):
        """Whether ``delivery`` may enter its endpoint's line here (under the lock)."""
        (tenant_load, tenant_cap), (endpoint_load, endpoint_cap) = (
            self._tenant_load(delivery.tenant_id), self._endpoint_load(delivery.endpoint_id))
        return endpoint_load < endpoint_cap and tenant_load < tenant_cap

    def _may_start(self, delivery):
        """Whether a thread may take ``delivery`` now: its endpoint and its tenant have a free share."""
        return (self.running[delivery.endpoint_id] < self.per_endpoint
                and self.tenant_running[delivery.tenant_id] < self.per_tenant)

    def _enter_lines(self, deliveries, send_one, batch):
        """Schedule the deliveries whose endpoint has room; returns the others (under the lock)."""
        rest = []
        for delivery in deliveries:
            if self._has_room(delivery):
                batch.unfinished += 1
                self._schedule(_Job(delivery, send_one, batch))
            else:
                rest.append(delivery)
        return rest

    def _schedule(self, job):
        """Hand a job to a thread, or put it in its endpoint's line (under the lock)."""
        delivery = job.delivery
        if self._may_start(delivery):
            self._start(job)
        else:
            self.waiting[delivery.endpoint_id].append(job)
            self.tenant_waiting[delivery.tenant_id] += 1

    def _start(self, job):
        delivery = job.delivery
        self.running[delivery.endpoint_id] += 1
        self.tenant_running[delivery.tenant_id] += 1
        self.submitted += 1
        self.executor.submit(self._work, job)

    def _start_next(self, endpoint, tenant):
        """Start the first waiting job that the share just freed allows (under the lock).

        A finished request frees one slot of its endpoint and one of its
        tenant, so at most one job can start: first from the same endpoint's
        line, else from another line of the same tenant.
        """
        lines = [endpoint] + [e for e, line in self.waiting.items()
                              if e != endpoint and line[0].delivery.tenant_id == tenant]
        for candidate in lines:
            line = self.waiting.get(candidate)
            if line and self._may_start(line[0].delivery):
                self.tenant_waiting[tenant] -= 1
                self._start(line.popleft())
                if not line:
                    del self.waiting[candidate]
                return

    def _work(self, job):
        delivery, batch = job.delivery, job.batch
        started = time.monotonic()
        try:
            job.result = job.send_one(delivery)
        except BaseException as exc:
            job.error = exc
        finally:
            endpoint, tenant = delivery.endpoint_id, delivery.tenant_id
            seconds = time.monotonic() - started
            with self.lock:
                for key in (("endpoint", endpoint), ("tenant", tenant)):
                    mean = self.pace.get(key)
                    self.pace[key] = seconds if mean is None else mean + PACE_WEIGHT * (seconds - mean)
                batch.unfinished -= 1
                if batch.late:  # its ``run`` has stopped waiting: the recorder thread records it
                    self.late.put(job)
                else:
                    batch.finished.append(job)
                self.submitted -= 1
                for counter, key in ((self.running, endpoint), (self.tenant_running, tenant)):
                    counter[key] -= 1
                    if not counter[key]:
                        del counter[key]
                self._start_next(endpoint, tenant)
                if not self.tenant_waiting[tenant]:
                    del self.tenant_waiting[tenant]
                self._forget_pace_if_idle(endpoint, tenant)
                if self.room_waiters or not batch.unfinished:  # else no one waits for this finish
                    self.lock.notify_all()

    def _forget_pace_if_idle(self, endpoint, tenant):
        """An endpoint or tenant with nothing in flight, in line or promised has no pace to keep (under the lock)."""
        for key, busy in ((("endpoint", endpoint), endpoint in self.running or endpoint in self.waiting),
                          (("tenant", tenant), tenant in self.tenant_running or tenant in self.tenant_waiting)):
            if not busy and key not in self.booked:
                self.pace.pop(key, None)

    def run(self, deliveries, send_one, record, patience, wait_seconds=0):
        """Send each delivery with ``send_one``; ``record(deliveries, results)`` the finished ones.

        First waits (up to ``wait_seconds``) while the threads already have two
        requests each to do, which bounds how long a request queues.  Then, for
        up to ``patience`` seconds, the batch waits for its requests, and its
        deliveries enter their endpoint's line as the batch's own requests make
        room, or, for up to ``ROOM_WAIT_SECONDS``, as other batches' requests
        do when their pace says the room comes by then (an endpoint slow to
        answer is not waited for); later results go to
        ``record`` from the recorder thread.  Returns ``(finished, pending,
        turned_away)``: the deliveries that found no room in their endpoint's
        line, which the caller gives back.
        """
        batch = _Batch(record)
        with self.lock:
            self._wait_for_room(lambda: self.submitted < 2 * self.threads, wait_seconds)
            deadline = time.monotonic() + patience
            room_deadline = max(deadline, time.monotonic() + ROOM_WAIT_SECONDS)
            turned_away = self._enter_lines(deliveries, send_one, batch)
            while turned_away:
                until = deadline if batch.unfinished else None
                if self._room_soon(turned_away, room_deadline):
                    until = room_deadline
                if until is None or not self._wait_for_room(None, max(0.0, until - time.monotonic())):
                    break
                turned_away = self._enter_lines(turned_away, send_one, batch)
            self.lock.wait_for(lambda: not batch.unfinished, timeout=max(0.0, deadline - time.monotonic()))
            # The late ones go to the recorder from now on: whatever ``record`` raises below cannot lose them.
            batch.late = True
            finished, pending = batch.finished, batch.unfinished
        _record(record, finished)
        return len(finished), pending, turned_away

    def _wait_for_room(self, predicate, timeout):
        """Wait (under the lock) until ``predicate`` holds, or for the next finished request if it is None."""
        self.room_waiters += 1
        try:
            if predicate is None:
                return self.lock.wait(timeout)
            return self.lock.wait_for(predicate, timeout=timeout)
        finally:
            self.room_waiters -= 1

    def come_back_at(self, turned_away, now=None):
        """When each turned-away delivery should be claimed again: wall times, in order.

        Each gets the next slot of the share that turned it away (its tenant's,
        else its endpoint's), at the pace that share has been sending: behind
        what is in flight and in line, and behind the slots promised before.
        So a backlog comes back about as fast as it can be sent, not all of it
        every second.
        """
        now = time.time() if now is None else now
        times = []
        with self.lock:
            self._forget_past_promises(now)
            for delivery in turned_away:
                key, share, ahead = self._limiting_share(delivery)
                step = self.pace.get(key, COME_BACK_MIN_SECONDS) / share
                slot = max(self.booked.get(key, now), now + ahead * step) + step
                self.booked[key] = slot
                times.append(min(max(slot, now + COME_BACK_MIN_SECONDS), now + COME_BACK_MAX_SECONDS))
        return times

    def _forget_past_promises(self, now):
        """Drop the slots that have come (and the pace of what is no longer busy either) (under the lock)."""
        for key in [key for key, slot in self.booked.items() if slot <= now]:
            del self.booked[key]
            kind, ident = key
            busy = (ident in self.running or ident in self.waiting) if kind == "endpoint" else (
                ident in self.tenant_running or ident in self.tenant_waiting)
            if not busy:
                self.pace.pop(key, None)

    def _room_soon(self, turned_away, deadline):
        """Whether, at the pace its share has been sending, the first turned-away delivery finds room
        before ``deadline`` (under the lock): a fast endpoint's full line empties in milliseconds."""
        key, share, ahead = self._limiting_share(turned_away[0])
        pace = self.pace.get(key)
        to_finish = ahead - share * (1 + LINE_PER_SLOT) + 1  # requests to finish before its line has room
        return pace is not None and time.monotonic() + pace * to_finish / share < deadline

    def _limiting_share(self, delivery):
        """``(key, share size, requests ahead)`` of the share that has no room for ``delivery`` (under the lock)."""
        ahead, cap = self._tenant_load(delivery.tenant_id)
        if ahead >= cap:
            return ("tenant", delivery.tenant_id), self.per_tenant, ahead
        ahead, _ = self._endpoint_load(delivery.endpoint_id)
        return ("endpoint", delivery.endpoint_id), self.per_endpoint, ahead

    def _record_late(self):
        """Record late outcomes, whatever happens: this thread dying would lose every later one."""
        while True:
            items = [self.late.get()]
            while not self.late.empty() and len(items) < 100:
                items.append(self.late.get_nowait())
            by_record = defaultdict(list)
            for job in items:
                by_record[job.batch.record].append(job)
            for record, finished in by_record.items():
                try:
                    close_old_connections()
                    _record(record, finished)
                except BaseException:  # the lease lapses and the dispatcher tries again
                    logger.exception("recording %d late outcomes failed", len(finished))


def _record(record, finished):
    """``record`` the outcomes of finished jobs; one whose ``send_one`` raised is logged and left to its
    lease (the send itself failed in a way ``send_one`` did not turn into an outcome)."""
    deliveries, results = [], []
    for job in finished:
        if job.error is not None:
            logger.error("sending delivery %s raised", getattr(job.delivery, "pk", job.delivery), exc_info=job.error)
            continue
        deliveries.append(job.delivery)
        results.append(job.result)
    if deliveries:
        record(deliveries, results)


_pool = None
_pool_pid = None
_pool_lock = threading.Lock()


def pool(threads, per_endpoint, per_tenant=None):
    """This process's pool (a new one after a fork); ``per_tenant`` defaults to the setting."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        with _pool_lock:
            if _pool is None or _pool_pid != os.getpid():
                per_tenant = conf.get().tenant_concurrency if per_tenant is None else per_tenant
                _pool, _pool_pid = SendPool(threads, per_endpoint, per_tenant), os.getpid()
    return _pool
