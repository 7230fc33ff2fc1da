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
- **The egress proxy** (``WEBHOOKS_EGRESS_PROXY``), when set, carries every
  request, as a ``CONNECT`` tunnel to the vetted address (for http targets
  too: a proxy given an absolute-form URL must replace our ``Host`` header by
  the URL's host, RFC 9112 3.2.2, so asking it for the IP would lose the host
  name and asking it for the name would let it resolve the name anew).  Not
  reaching the proxy, or its refusal (a 4xx to ``CONNECT``), is a
  ``ProxyError`` outcome, which says nothing about the receiver.
- **Per-endpoint options** (``DoorOptions``): a client certificate for mTLS
  and a CA bundle trusted for that receiver only, each set made into one
  cached TLS context (so its connections are pooled apart from others').
"""

import functools
import http.cookiejar
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

import idna
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from requests.hooks import default_hooks
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import DecodeError
from urllib3.util import make_headers
from urllib3.util.ssl_ import create_urllib3_context

from delivery import failures
from delivery.bounded_head import BoundedHeadResponse, dropped_header_lines
from delivery.deadlines import watchdog
from delivery.header_caps import cap_headers
from delivery.urllib3_guard import require_bounded_decoding
from subscriptions import conf, ssrf
from subscriptions.redaction import redact_text

require_bounded_decoding(urllib3.__version__)

_local = threading.local()


class _Watched:
    def _get_conn(self, timeout=None):
        connection = super()._get_conn(timeout)
        watchdog().attach(connection)
        return connection


TUNNEL_FAILED = re.compile(r"Tunnel connection failed: (\d{3})")


class _Egress:
    """A connection that may go through the egress proxy: a tunnel to ``egress_target`` at every connect.

    urllib3 forgets a connection's tunnel when it closes, and its pool reuses
    the object: without setting it again, the next request would go to the
    proxy as it is, and the proxy would pick the address from the ``Host``.
    Failing to reach the proxy, or its refusal of the tunnel, is noted for
    the attempt; a 5xx answer to ``CONNECT`` means the proxy could not reach
    the receiver: that one is the receiver's failure, as it would be without it.
    """

    egress_target = None  # (address, port, CONNECT headers), set by a tunnelled pool

    def connect(self):
        if self.egress_target is not None and self._tunnel_host is None:
            address, port, headers = self.egress_target
            self.set_tunnel(address, port, headers=headers)
        return super().connect()

    def _new_conn(self):
        try:
            return super()._new_conn()
        except Exception as exc:
            if self._tunnel_host is not None:
                _local.proxy_error = f"The egress proxy cannot be reached: {exc}"
            raise

    def _tunnel(self):
        try:
            super()._tunnel()
        except OSError as exc:
            match = TUNNEL_FAILED.search(str(exc))
            if match is None or int(match.group(1)) < 500:
                _local.proxy_error = f"The egress proxy refused the tunnel: {exc}"
            raise


class BoundedHeadHTTPConnection(_Egress, HTTPConnection):
    response_class = BoundedHeadResponse


class BoundedHeadHTTPSConnection(_Egress, HTTPSConnection):
    response_class = BoundedHeadResponse


class WatchedHTTPConnectionPool(_Watched, HTTPConnectionPool):
    ConnectionCls = BoundedHeadHTTPConnection


class WatchedHTTPSConnectionPool(_Watched, HTTPSConnectionPool):
    ConnectionCls = BoundedHeadHTTPSConnection


@dataclass(frozen=True)
class EgressProxy:
    """Where every connection goes first, and the headers of its ``CONNECT`` (Basic credentials)."""

    host: str
    port: int
    authorization: str = field(default="", repr=False)

    @classmethod
    def from_url(cls, url):
        parts = urlsplit(url)
        auth = ""
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            auth = make_headers(proxy_basic_auth=credentials)["proxy-authorization"]
        return cls(host=parts.hostname, port=parts.port or 80, authorization=auth)

    @property
    def headers(self):
        return {"Proxy-Authorization": self.authorization} if self.authorization else {}


class _Tunnelled:
    """A pool whose connections reach the proxy and ask it for exactly the pool's (vetted) address."""

    egress = None  # an EgressProxy, set on the classes ``pool_classes`` makes (urllib3's own ``proxy`` is None)

    def _new_conn(self):
        connection = super()._new_conn()
        connection.egress_target = (self.host, self.port, self.egress.headers)
        connection.host, connection.port = self.egress.host, self.egress.port
        return connection


def pool_classes(proxy):
    """The pool class of each scheme: watched, and tunnelled through ``proxy`` when there is one."""
    classes = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}
    if proxy is None:
        return classes
    return {scheme: type(f"Tunnelled{cls.__name__}", (_Tunnelled, cls), {"egress": proxy})
            for scheme, cls in classes.items()}


@dataclass(frozen=True)
class DoorOptions:
    """What one endpoint asks of the door beyond its URL (a per-endpoint timeout belongs here too).

    ``tls_client_cert``/``tls_client_key``: PEM, presented when the receiver
    asks (mTLS); ``tls_ca_bundle``: PEM of the CAs trusted for this receiver
    instead of the public ones.
    """

    tls_client_cert: str = ""
    tls_client_key: str = field(default="", repr=False)
    tls_ca_bundle: str = ""

    @property
    def custom_tls(self):
        return bool(self.tls_client_cert or self.tls_ca_bundle)


NO_OPTIONS = DoorOptions()


def tls_context(options):
    """The TLS context of an endpoint's options, made once per process and set of PEMs."""
    return _tls_context(options.tls_client_cert, options.tls_client_key, options.tls_ca_bundle)


@functools.lru_cache(maxsize=128)
def _tls_context(client_cert, client_key, ca_bundle):
    """``ssl`` loads a key from files only: it is written to a private temporary folder, removed at once."""
    context = create_urllib3_context()
    context.load_verify_locations(cadata=ca_bundle or None,
                                  cafile=None if ca_bundle else requests.utils.DEFAULT_CA_BUNDLE_PATH)
    if client_cert:
        with tempfile.TemporaryDirectory(prefix="hookplatform-tls-") as folder:
            cert, key = Path(folder, "cert.pem"), Path(folder, "key.pem")
            for path, text in ((cert, client_cert), (key, client_key)):
                path.touch(mode=0o600)
                path.write_text(text)
            context.load_cert_chain(cert, key)
    return context


class PinnedAdapter(HTTPAdapter):
    """Connects to the address ``post`` vetted, under the watchdog, through the proxy if there is one.

    What ``requests`` works out anew for every request from the same few
    inputs is kept here: the pool of each origin, address and TLS options
    (``get_connection_with_tls_context``) and each URL's request target
    (``request_url``); the response is built without the cookie jar and
    encoding guess nobody here reads (``build_response``).
    """

    def __init__(self, *args, proxy=None, **kwargs):
        self.proxy = proxy
        self._pools, self._pools_lock = {}, threading.Lock()
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = pool_classes(self.proxy)
        # The pool manager keeps the most recently used pools: one it lets go is forgotten here too.
        self.poolmanager.pools.dispose_func = self._forget

    def _forget(self, pool):
        with self._pools_lock:
            for key in [key for key, kept in self._pools.items() if kept is pool]:
                del self._pools[key]

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        """The pool ``requests`` would pick, found by what decides it: the URL's origin, the vetted
        address and the endpoint's options of this attempt (``_local``), ``verify`` and ``cert``.

        Only pools the pool manager still keeps are found here (``_forget``).
        """
        if proxies:  # never so here (``_send``): the egress proxy is a tunnel set on the pool classes
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        key = (_origin(request.url), getattr(_local, "address", None), getattr(_local, "options", None),
               verify, cert)
        pool = self._pools.get(key)
        if pool is None:
            pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
            with self._pools_lock:
                if len(self._pools) > 4 * self._pool_connections:  # a pool let go while it was asked for
                    self._pools.clear()
                self._pools[key] = pool
        return pool

    def request_url(self, request, proxies):
        """The request target: the URL's path and query, worked out once per URL (no proxy asks for more)."""
        return super().request_url(request, proxies) if proxies else _path_url(request.url)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        address = getattr(_local, "address", None)
        if address:
            hostname = host_params["host"]
            host_params["host"] = address
            if host_params["scheme"] == "https":
                pool_kwargs["server_hostname"] = hostname
                pool_kwargs["assert_hostname"] = hostname
        options = getattr(_local, "options", None) or NO_OPTIONS
        if host_params["scheme"] == "https" and options.custom_tls:
            pool_kwargs["ssl_context"] = tls_context(options)
        return host_params, pool_kwargs

    def cert_verify(self, conn, url, verify, cert):
        """An endpoint's own TLS context holds its trust: the public bundle is not added to it."""
        super().cert_verify(conn, url, verify, cert)
        if getattr(conn, "conn_kw", {}).get("ssl_context") is not None:
            conn.ca_certs = conn.ca_cert_dir = None

    def build_response(self, req, resp):
        """The answer as ``requests`` builds it, but for its cookies, never read (nor kept: ``NO_COOKIES``),
        and the text encoding, left to ``requests`` to guess if anyone asks for ``text``."""
        response = requests.Response()
        response.status_code = resp.status
        response.headers = CaseInsensitiveDict(resp.headers)
        response.raw, response.reason = resp, resp.reason
        response.url = req.url
        response.cookies = NO_COOKIES
        response.request, response.connection = req, self
        return response


@functools.lru_cache(maxsize=4096)
def _origin(url):
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.hostname, parts.port


@functools.lru_cache(maxsize=4096)
def _path_url(url):
    prepared = requests.PreparedRequest()
    prepared.url = url
    return prepared.path_url


class NoCookies(RequestsCookieJar):
    """A jar that stays empty: every cookie is refused by its policy and by ``set_cookie``."""

    def __init__(self):
        super().__init__(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    def set_cookie(self, cookie, *args, **kwargs):
        pass

    def extract_cookies(self, response, request):
        pass


NO_COOKIES = NoCookies()  # it never holds a cookie, so every answer may share it


class IsolatedSession(requests.Session):
    """A session that keeps nothing from one answer for the next.

    Attempts go straight to its adapter (``_send``); the session holds the
    adapter and the default headers.  Its guards stand for any other use of
    ``Session.send``, which resolves redirects even with
    ``allow_redirects=False`` (to offer the next request), reading and
    decoding the whole 3xx body past any limit: with no redirect target
    there is nothing to resolve, and no cookie is kept.
    """

    def __init__(self):
        super().__init__()
        self.cookies = NoCookies()
        self.max_redirects = 0

    def get_redirect_target(self, resp):
        return None


_session_lock = threading.Lock()
_sessions = {}  # egress proxy URL ("" for none) -> session
_session_pid = None


def session(pool_size=64):
    """This process's pooled session for the configured egress proxy (new ones after a fork)."""
    global _session_pid
    proxy_url = conf.get().egress_proxy
    if _session_pid != os.getpid() or proxy_url not in _sessions:
        with _session_lock:
            if _session_pid != os.getpid():
                _sessions.clear()
                _session_pid = os.getpid()
            if proxy_url not in _sessions:
                _sessions[proxy_url] = _new_session(proxy_url, pool_size)
    return _sessions[proxy_url]


def _new_session(proxy_url, pool_size):
    new = IsolatedSession()
    proxy = EgressProxy.from_url(proxy_url) if proxy_url else None
    adapter = PinnedAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0, proxy=proxy)
    new.mount("http://", adapter)
    new.mount("https://", adapter)
    new.trust_env = False  # no proxies from the environment: only ours, as a tunnel to the vetted address
    return new


class _Attempt:
    """``with _Attempt(address, deadline, options) as attempt:`` around one request; then ``attempt.expired``
    and ``attempt.proxy_error``."""

    def __init__(self, address, deadline, options=NO_OPTIONS):
        self.address, self.deadline, self.options = address, deadline, options
        self.expired, self.proxy_error = False, None

    def __enter__(self):
        _local.address, _local.options, _local.proxy_error = self.address, self.options, None
        watchdog().arm(self.deadline)
        return self

    def __exit__(self, exc_type, exc, tb):
        self.proxy_error = _local.proxy_error
        _local.address = _local.options = _local.proxy_error = None
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


def post(request, *, timeout, body_limit, options=NO_OPTIONS):
    """POST one ``wire.Request``; never raises for anything the receiver, DNS, proxy or network does.

    Success is a 2xx; anything else, or no complete answer within ``timeout``
    seconds (DNS and the body included), is a failed ``Outcome``.
    """
    return _exchange(request.url, request.body, request.headers, timeout=timeout, body_limit=body_limit,
                     options=options)


def post_form(url, fields, *, headers, timeout, body_limit):
    """POST a form (an OAuth2 token request) through the same checks, pinning and proxy as an attempt."""
    headers = {**headers, "content-type": "application/x-www-form-urlencoded", "accept": "application/json"}
    return _exchange(url, urlencode(fields).encode(), headers, timeout=timeout, body_limit=body_limit,
                     options=NO_OPTIONS)


PROXY_ERROR = "ProxyError"


def _exchange(url, body, headers, *, timeout, body_limit, options):
    started_at, start = time.time(), time.monotonic()
    attempt = None
    try:
        address = vetted_address(url, timeout)
        headers = {**headers, "host": host_header(url)}
        with _Attempt(address, start + timeout, options) as attempt:
            response = _send(url, body, headers, timeout)
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
    except Exception as exc:  # every failure of the receiver, proxy or network is a failed attempt
        return _failure(exc, attempt, url, timeout, started_at, start)


def _send(url, body, headers, timeout):
    """``Session.post`` without the merging and the after-work it repeats on every call.

    The session holds nothing to merge (no cookies, auth, proxies or hooks:
    ``IsolatedSession``, ``trust_env`` off) but its default headers, so the
    request is prepared here as ``Session.prepare_request`` would prepare it,
    with each URL's normal form kept (``_normal_url``), and goes straight to
    the session's adapter: what ``Session.send`` adds around it (cookies to
    extract, a redirect to offer, response hooks) is nothing here, and a
    good share of the client's CPU per attempt otherwise.
    """
    http = session()
    request = _Prepared()
    # Ours after the session's: ``prepare_headers`` keeps the last of names equal but for case, as update would.
    request.prepare(method="POST", url=url, headers={**http.headers, **headers}, data=body, hooks=default_hooks())
    return http.get_adapter(url).send(request, timeout=(min(timeout, 10.0), timeout), stream=True,
                                      verify=http.verify, cert=http.cert, proxies={})


class _Prepared(requests.PreparedRequest):
    def prepare_url(self, url, params):
        self.url = _normal_url(url)

    def prepare_cookies(self, cookies):
        """No cookie is ever sent (``NoCookies``): no jar to make and ask for each request."""

    def prepare_auth(self, auth, url=""):
        """The Basic credentials of the URL's user info, as ``requests`` takes them, read once per URL."""
        auth = auth or _url_auth(self.url)
        if auth:
            super().prepare_auth(auth, url)


@functools.lru_cache(maxsize=4096)
def _url_auth(url):
    credentials = requests.utils.get_auth_from_url(url)
    return credentials if any(credentials) else None


@functools.lru_cache(maxsize=4096)
def _normal_url(url):
    """The URL as ``requests`` sends it (IDNA host, quoted path), worked out once per URL."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return prepared.url


def _failure(exc, attempt, url, timeout, started_at, start):
    expired = attempt is not None and attempt.expired
    proxy_error = attempt is not None and attempt.proxy_error
    if expired:
        error_class, message = "DeadlineExceeded", f"No complete answer within {timeout:g} s."
    elif proxy_error:
        error_class, message = PROXY_ERROR, proxy_error
    else:
        error_class, message = type(exc).__name__, failures.describe(exc, url, timeout) or str(exc)
    return Outcome(
        started_at=started_at,
        duration_ms=int((time.monotonic() - start) * 1000),
        succeeded=False,
        error_class=error_class,
        error_message=redact_text(message, url)[:1024],  # no URL password or tokens (L5)
    )
