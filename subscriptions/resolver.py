"""DNS resolution with a deadline, a bound on concurrent lookups, and a cache.

Why: ``getaddrinfo`` blocks for as long as the name server likes and cannot
be cancelled.  A tenant who registers names on a name server that never
answers must not pin web request threads (endpoint create/update) or sending
threads.  Lookups therefore run on a few dedicated threads; a caller waits
at most its timeout; one lookup per (host, port) runs at a time whoever
asks; and answers *and failures* are remembered for a while, so asking again
costs nothing.
"""

import ipaddress
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from subscriptions import conf

LOOKUP_THREADS = 8
CACHE_TTL = 30.0  # seconds an answer is reused
NEGATIVE_TTL = 10.0  # seconds a failure (or a timeout) is reused
CACHE_MAX = 4096


class Unresolvable(Exception):
    """The host has no usable address (no answer, an error, or no answer in time)."""


_lock = threading.RLock()  # a done callback may run in the submitting thread
_cache = {}  # (host, port) -> (expires, addresses or Unresolvable)
_inflight = {}  # (host, port) -> Future
_executor = None
_executor_pid = None


def clear_cache():
    with _lock:
        _cache.clear()


def _lookups():
    """This process's lookup threads (new ones after a fork); under ``_lock``."""
    global _executor, _executor_pid
    if _executor is None or _executor_pid != os.getpid():
        _executor = ThreadPoolExecutor(max_workers=LOOKUP_THREADS, thread_name_prefix="webhook-dns")
        _executor_pid = os.getpid()
        _inflight.clear()
    return _executor


def _getaddrinfo(getaddrinfo, host, port):
    """The addresses, or an ``Unresolvable`` to cache: whatever goes wrong is a failed lookup."""
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    except Exception as exc:  # gaierror, UnicodeError for a bad IDN, an odd answer
        return Unresolvable(f"{type(exc).__name__}: {exc}")
    return addresses or Unresolvable("no address")


def _remember(key, future):
    """Cache a finished lookup's answer, or its failure for less long."""
    result = future.result()
    ttl = NEGATIVE_TTL if isinstance(result, Unresolvable) else CACHE_TTL
    with _lock:
        if len(_cache) >= CACHE_MAX:
            _cache.clear()
        _cache[key] = (time.monotonic() + ttl, result)
        _inflight.pop(key, None)


def resolve_addresses(host, port, timeout=None, getaddrinfo=None):
    """Every address of ``host`` as ip_address objects; raises ``Unresolvable``.

    Waits at most ``timeout`` seconds (default ``WEBHOOKS_DNS_TIMEOUT``); a
    lookup still running then goes on in the background and its outcome is
    cached for the next caller.
    """
    timeout = conf.get().dns_timeout if timeout is None else min(timeout, conf.get().dns_timeout)
    key = (host, port)
    with _lock:
        cached = _cache.get(key)
        if cached and cached[0] > time.monotonic():
            result = cached[1]
        else:
            future = _inflight.get(key)
            if future is None:
                future = _lookups().submit(_getaddrinfo, getaddrinfo or socket.getaddrinfo, host, port)
                _inflight[key] = future
                future.add_done_callback(lambda f: _remember(key, f))
            result = None
    if result is None:
        try:
            result = future.result(timeout=max(0.0, timeout))
        except FutureTimeout:
            result = Unresolvable(f"no answer within {timeout:g} s")
            with _lock:
                _cache.setdefault(key, (time.monotonic() + NEGATIVE_TTL, result))
    if isinstance(result, Unresolvable):
        raise result
    return list(result)
