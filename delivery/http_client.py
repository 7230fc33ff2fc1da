"""The one door for outbound HTTP: every webhook attempt is one ``post``.

The only module that imports ``requests`` and ``urllib3`` (``lint-imports``
holds it).  On top of a pooled ``requests`` session, one per process:

- **Checked and pinned addresses.** At each attempt the target's addresses
  are resolved and vetted (``subscriptions.ssrf``'s rules; the resolver's
  cache spares a lookup per request) and the connection goes to exactly the
  vetted address, with the host name kept for the ``Host`` header, TLS SNI
  and certificate checks.  No second DNS lookup happens (DNS rebinding).
- **A deadline for the whole attempt** (DNS and the body included): the
  watchdog of ``deadlines`` shuts the socket of a request that outlives it.
- **Nothing carried between requests.** Redirects are never followed nor
  prepared (so ``requests`` never reads a 3xx body on its own), proxies from
  the environment are ignored, and no cookie is ever stored or sent: one
  tenant's receiver cannot plant cookies that travel with another tenant's
  webhooks, nor fill the worker's memory with them.
- **Bounded answers.** The head is read within ``bounded_head``'s budget, the
  body and its decoding up to ``body_limit`` (``urllib3_guard``), and the
  stored headers are capped (``header_caps``).
"""

import http.cookiejar
import os
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import DecodeError

from delivery import failures
from delivery.bounded_head import BoundedHeadResponse, dropped_header_lines
from delivery.deadlines import watchdog
from delivery.header_caps import cap_headers
from delivery.urllib3_guard import require_bounded_decoding
from subscriptions import ssrf
from subscriptions.redaction import redact_text

require_bounded_decoding(urllib3.__version__)

_local = threading.local()


class _Watched:
    def _get_conn(self, timeout=None):
        connection = super()._get_conn(timeout)
        watchdog().attach(connection)
        return connection


class BoundedHeadHTTPConnection(HTTPConnection):
    response_class = BoundedHeadResponse


class BoundedHeadHTTPSConnection(HTTPSConnection):
    response_class = BoundedHeadResponse


class WatchedHTTPConnectionPool(_Watched, HTTPConnectionPool):
    ConnectionCls = BoundedHeadHTTPConnection


class WatchedHTTPSConnectionPool(_Watched, HTTPSConnectionPool):
    ConnectionCls = BoundedHeadHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """Connects to the address ``post`` vetted, under the watchdog."""

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


class _Attempt:
    """``with _Attempt(address, deadline) as attempt:`` around one request; then ``attempt.expired``."""

    def __init__(self, address, deadline):
        self.address, self.deadline, self.expired = address, deadline, False

    def __enter__(self):
        _local.address = self.address
        watchdog().arm(self.deadline)
        return self

    def __exit__(self, exc_type, exc, tb):
        _local.address = None
        self.expired = watchdog().disarm()
        return False


@dataclass
class Outcome:
    """What one attempt came to: the receiver's answer (bounded), or why there was none."""

    started_at: float
    duration_ms: int
    succeeded: bool
    status: int | None = None
    headers: dict | None = None
    body: str = ""
    error_class: str = ""
    error_message: str = ""

    @property
    def retry_after(self):
        if self.status in (429, 503) and self.headers:
            return {k.lower(): v for k, v in self.headers.items()}.get("retry-after")
        return None


def vetted_address(url, timeout=None):
    """The address to connect to for ``url``, after checking every address its host resolves to.

    The lookup waits at most ``timeout`` (the attempt's), so DNS is inside the
    attempt's bound.  Raises ``ValidationError`` for a refused or unresolvable target.
    """
    host, port = ssrf.target(url)
    return str(ssrf.vetted_addresses(host, port, timeout)[0])


def ascii_host(hostname):
    """The ASCII (punycode) form of a host name, as ``requests`` puts it in the URL and TLS SNI.

    http.client encodes the Host header as Latin-1, so a Unicode name would
    fail every attempt (or, for Latin-1 names, name a host nobody serves).
    """
    if hostname.isascii():
        return hostname
    try:
        return idna.encode(hostname, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise requests.exceptions.InvalidURL(f"The host name is not a valid IDN: {exc}") from None


def host_header(url):
    parts = urlsplit(url)
    hostname = ascii_host(parts.hostname)
    host = f"[{hostname}]" if ":" in hostname else hostname
    return f"{host}:{parts.port}" if parts.port else host


def _read_capped(response, limit, deadline):
    """At most ``limit`` bytes, and nothing after the deadline.

    ``read1`` returns whatever one socket read brought, so a receiver that
    trickles a byte at a time is checked against the deadline after each
    one (``iter_content`` would wait for a full chunk first).
    """
    chunks, size = [], 0
    while size <= limit:
        if time.monotonic() > deadline:
            raise requests.Timeout("the response was not read within the timeout")
        try:
            chunk = response.raw.read1(4096, decode_content=True)
        except DecodeError as exc:  # an answer all the same: keep its status, headers and this note
            note = f"[the rest of the body could not be decoded: {exc}]".encode()
            return (b"".join(chunks)[:max(limit - len(note), 0)] + note)[:limit]
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:limit]


def _storable(text):
    """Text the database can keep: PostgreSQL refuses NUL characters in text and JSON."""
    return text.replace("\x00", "\ufffd")


def _stored_headers(response):
    """At most a few kB (the head was bounded while read, so the copy is small)."""
    storable = {_storable(k): _storable(v) for k, v in response.headers.items()}
    return cap_headers(storable, dropped_header_lines(response))


def post(request, *, timeout, body_limit):
    """POST one ``wire.Request``; never raises for anything the receiver, DNS or network does.

    Success is a 2xx; anything else, or no complete answer within ``timeout``
    seconds (DNS and the body included), is a failed ``Outcome``.
    """
    started_at, start = time.time(), time.monotonic()
    attempt = None
    try:
        address = vetted_address(request.url, timeout)
        headers = {**request.headers, "host": host_header(request.url)}
        with _Attempt(address, start + timeout) as attempt:
            response = session().post(
                request.url, data=request.body, headers=headers,
                timeout=(min(timeout, 10.0), timeout), allow_redirects=False, stream=True,
            )
            try:
                raw = _read_capped(response, body_limit, start + timeout)
            finally:
                response.close()
        status = response.status_code
        return Outcome(
            started_at=started_at,
            duration_ms=int((time.monotonic() - start) * 1000),
            succeeded=200 <= status < 300,
            status=status,
            headers=_stored_headers(response),
            body=_storable(raw.decode("utf-8", errors="replace")),
        )
    except Exception as exc:  # every failure of the receiver or network is a failed attempt
        expired = attempt is not None and attempt.expired
        return Outcome(
            started_at=started_at,
            duration_ms=int((time.monotonic() - start) * 1000),
            succeeded=False,
            error_class="DeadlineExceeded" if expired else type(exc).__name__,
            error_message=redact_text(  # no URL password or tokens (L5)
                f"No complete answer within {timeout:g} s." if expired
                else failures.describe(exc, request.url, timeout) or str(exc), request.url)[:1024],
        )
