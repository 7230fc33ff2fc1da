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
    """Shuts the sockets of requests that outlive their deadline."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = {}  # thread ident -> [deadline, connection, expired]
        self._heap = []
        self._wakeup = threading.Event()
        threading.Thread(target=self._run, name="webhook-watchdog", daemon=True).start()

    def arm(self, deadline):
        entry = [deadline, None, False]
        with self._lock:
            self._entries[threading.get_ident()] = entry
            heapq.heappush(self._heap, (deadline, id(entry), entry))
        self._wakeup.set()
        return entry

    def attach(self, connection):
        entry = self._entries.get(threading.get_ident())
        if entry is not None:
            entry[1] = connection
            if entry[2]:  # already past its deadline: don't let it start
                _shut(connection)

    def disarm(self):
        with self._lock:
            entry = self._entries.pop(threading.get_ident(), None)
        return entry is not None and entry[2]

    def _run(self):
        while True:
            with self._lock:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _, _, entry = heapq.heappop(self._heap)
                    if any(e is entry for e in self._entries.values()):
                        entry[2] = True
                        if entry[1] is not None:
                            _shut(entry[1])
                wait = (self._heap[0][0] - now) if self._heap else 1.0
            self._wakeup.wait(min(max(wait, 0.01), 1.0))
            self._wakeup.clear()


def _shut(connection):
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


_watchdog = None
_watchdog_pid = None
_watchdog_lock = threading.Lock()


def watchdog():
    """This process's watchdog (a new one after a fork).

    Created under a lock: sending threads that met a second watchdog would
    arm with one and disarm with the other, and the first would later shut a
    socket whose attempt had not expired (or that another attempt reuses).
    """
    global _watchdog, _watchdog_pid
    if _watchdog is None or _watchdog_pid != os.getpid():
        with _watchdog_lock:
            if _watchdog is None or _watchdog_pid != os.getpid():
                _watchdog, _watchdog_pid = Watchdog(), os.getpid()
    return _watchdog
