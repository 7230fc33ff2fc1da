"""The pooled HTTP client every attempt goes through.

Two guarantees on top of ``requests``:

- **Pinned addresses.** The caller resolves and vets the target's addresses
  (``subscriptions.ssrf.vetted_address``) and the connection goes to exactly
  that address, with the original host name kept for the ``Host`` header, TLS
  SNI and certificate checks.  No second DNS lookup happens.
- **A deadline for the whole attempt.** A watchdog thread shuts the socket
  of any request that outlives its deadline, so a receiver that trickles its
  status line or headers one byte at a time cannot hold a worker longer than
  the timeout.
- **Nothing carried between requests.** Redirects are never prepared (so
  ``requests`` never reads a 3xx body on its own), and no cookie is ever
  stored or sent: one tenant's receiver cannot plant cookies that travel
  with another tenant's webhooks, nor fill the worker's memory with them.
"""

import heapq
import http.cookiejar
import os
import socket
import threading
import time

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from delivery.bounded_head import BoundedHeadHTTPConnection, BoundedHeadHTTPSConnection
from delivery.urllib3_guard import require_bounded_decoding

require_bounded_decoding()

_local = threading.local()


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


class _Watched:
    def _get_conn(self, timeout=None):
        connection = super()._get_conn(timeout)
        watchdog().attach(connection)
        return connection


class WatchedHTTPConnectionPool(_Watched, HTTPConnectionPool):
    ConnectionCls = BoundedHeadHTTPConnection


class WatchedHTTPSConnectionPool(_Watched, HTTPSConnectionPool):
    ConnectionCls = BoundedHeadHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """Connects to the address the sender vetted, under the watchdog."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool,
        }

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        address = getattr(_local, "address", None)
        if address:
            hostname = host_params["host"]
            host_params["host"] = address
            if host_params["scheme"] == "https":
                pool_kwargs["server_hostname"] = hostname
                pool_kwargs["assert_hostname"] = hostname
        return host_params, pool_kwargs

    def build_response(self, req, resp):
        """The answer without its cookies: the jar requests fills is dropped at once."""
        response = super().build_response(req, resp)
        response.cookies = NoCookies()
        return response


class NoCookies(RequestsCookieJar):
    """A jar that stays empty: every cookie is refused by its policy and by ``set_cookie``."""

    def __init__(self):
        super().__init__(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    def set_cookie(self, cookie, *args, **kwargs):
        pass

    def extract_cookies(self, response, request):
        pass


class IsolatedSession(requests.Session):
    """A session that keeps nothing from one answer for the next.

    ``Session.send`` resolves redirects even with ``allow_redirects=False``
    (to offer the next request), and doing so reads and decodes the whole 3xx
    body past any limit: with no redirect target there is nothing to resolve.
    """

    def __init__(self):
        super().__init__()
        self.cookies = NoCookies()
        self.max_redirects = 0

    def get_redirect_target(self, resp):
        return None


_session_lock = threading.Lock()
_session = None
_session_pid = None


def session(pool_size=64):
    """This process's pooled session (a new one after a fork)."""
    global _session, _session_pid
    if _session is None or _session_pid != os.getpid():
        with _session_lock:
            if _session is None or _session_pid != os.getpid():
                new = IsolatedSession()
                adapter = PinnedAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
                new.mount("http://", adapter)
                new.mount("https://", adapter)
                new.trust_env = False  # no proxies from the environment
                _session, _session_pid = new, os.getpid()
    return _session


class DeadlineExceeded(requests.Timeout):
    """The whole attempt took longer than its timeout."""


class attempt_context:
    """``with attempt_context(address, deadline):`` around one request."""

    def __init__(self, address, deadline):
        self.address, self.deadline = address, deadline

    def __enter__(self):
        _local.address = self.address
        watchdog().arm(self.deadline)
        return self

    def __exit__(self, exc_type, exc, tb):
        _local.address = None
        self.expired = watchdog().disarm()
        return False
