"""A deadline for a whole HTTP attempt, whatever the receiver does.

Socket timeouts bound each read, not the attempt: a receiver that trickles
its status line or headers one byte at a time would hold a sending thread
for as long as it likes.  The watchdog thread shuts the socket of any
attempt that outlives its deadline; ``delivery.http_client`` arms it around
each request and attaches each connection it takes from its pools.
"""

import heapq
import os
import socket
import threading
import time


class Watchdog:
    """Shuts the sockets of requests that outlive their deadline.

    Its thread sleeps until the earliest deadline; an attempt wakes it only
    when its own deadline is earlier still, which with one timeout for all is
    rare: otherwise every request would cost a thread switch.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = {}  # thread ident -> its attempt's entry
        self._heap = []  # (deadline, tie-breaker, entry), disarmed entries included until their deadline
        self._wake_at = 0.0  # when the thread will look again
        self._wakeup = threading.Event()
        threading.Thread(target=self._run, name="webhook-watchdog", daemon=True).start()

    def arm(self, deadline):
        entry = _Entry(deadline)
        with self._lock:
            replaced = self._entries.get(threading.get_ident())
            if replaced is not None:
                replaced.armed = False
            self._entries[threading.get_ident()] = entry
            heapq.heappush(self._heap, (deadline, id(entry), entry))
            wake = deadline < self._wake_at
        if wake:
            self._wakeup.set()
        return entry

    def attach(self, connection):
        entry = self._entries.get(threading.get_ident())
        if entry is not None:
            entry.connection = connection
            if entry.expired:  # already past its deadline: don't let it start
                _shut(connection)

    def disarm(self):
        with self._lock:
            entry = self._entries.pop(threading.get_ident(), None)
            if entry is not None:
                entry.armed = False
        return entry is not None and entry.expired

    def _run(self):
        while True:
            with self._lock:
                now = time.monotonic()
                # Past deadlines expire their attempts; finished attempts leave whatever their deadline.
                while self._heap and (self._heap[0][0] <= now or not self._heap[0][2].armed):
                    _, _, entry = heapq.heappop(self._heap)
                    if entry.armed:
                        entry.expired = True
                        if entry.connection is not None:
                            _shut(entry.connection)
                wait = min(max((self._heap[0][0] - now) if self._heap else 1.0, 0.001), 1.0)
                self._wake_at = now + wait
            self._wakeup.wait(wait)
            self._wakeup.clear()


class _Entry:
    __slots__ = ("deadline", "connection", "expired", "armed")

    def __init__(self, deadline):
        self.deadline, self.connection, self.expired, self.armed = deadline, None, False, True


def _shut(connection):
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


_watchdog = None
_watchdog_lock = threading.Lock()


def watchdog():
    """This process's watchdog (a new one after a fork: ``_forget``).

    Created under a lock: sending threads that met a second watchdog would
    arm with one and disarm with the other, and the first would later shut a
    socket whose attempt had not expired (or that another attempt reuses).
    """
    global _watchdog
    if _watchdog is None:
        with _watchdog_lock:
            if _watchdog is None:
                _watchdog = Watchdog()
    return _watchdog


def _forget():
    global _watchdog, _watchdog_lock
    _watchdog, _watchdog_lock = None, threading.Lock()  # the parent's thread did not come along


os.register_at_fork(after_in_child=_forget)
