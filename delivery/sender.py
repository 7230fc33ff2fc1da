"""The one door for outbound HTTP: sign, POST, read a bounded response.

One pooled ``requests.Session`` per worker process (``http_client``).  The
target's addresses are vetted at send time and the connection goes to the
vetted one; redirects are never followed (nor their bodies read); the
response body is read and decoded only up to the logged limit and its
headers are capped (``header_caps``); the whole attempt is bounded by the
timeout, even against a receiver that trickles its answer.
"""

import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna
import requests
from urllib3.exceptions import DecodeError

from delivery.bounded_head import dropped_header_lines
from delivery.header_caps import cap_headers
from delivery.http_client import attempt_context, session
from delivery.signing import signature_header
from subscriptions.redaction import REDACTED, redact_headers, redact_text, redact_url  # noqa: F401 (re-exported)
from subscriptions.ssrf import vetted_address

VERSION = "1.0"
USER_AGENT = f"hookplatform/{VERSION}"

@dataclass
class Request:
    url: str
    headers: dict
    body: bytes


@dataclass
class Outcome:
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


def build_request(*, url, msg_id, body, secrets, custom_headers, timestamp=None):
    """The exact request of one attempt: body bytes, our headers, then the endpoint's own."""
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    body_bytes = body.encode() if isinstance(body, str) else body
    headers = {k: v for k, v in (custom_headers or {}).items()}
    headers.update({
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body_bytes),
    })
    return Request(url=url, headers=headers, body=body_bytes)


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


ADDRESS_TTL = 30.0
_addresses = {}
_addresses_lock = threading.Lock()


def _address_for(url, timeout):
    """The vetted address for the URL's host, remembered briefly to spare a lookup per request.

    The lookup waits at most ``timeout`` (the attempt's), so DNS is inside the attempt's bound.
    """
    parts = urlsplit(url)
    key = (parts.scheme, parts.hostname, parts.port)
    now = time.monotonic()
    cached = _addresses.get(key)
    if cached and cached[0] > now:
        return cached[1]
    address = vetted_address(url, timeout)
    with _addresses_lock:
        _addresses[key] = (now + ADDRESS_TTL, address)
    return address


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


def send(request, *, timeout, body_limit):
    """POST one request; never raises for anything the receiver, DNS or network does."""
    started_at = time.time()
    start = time.monotonic()
    context = attempt_context(None, start + timeout)
    try:
        context.address = _address_for(request.url, timeout)
        headers = {**request.headers, "host": host_header(request.url)}
        with context:
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
        expired = getattr(context, "expired", False)
        return Outcome(
            started_at=started_at,
            duration_ms=int((time.monotonic() - start) * 1000),
            succeeded=False,
            error_class="DeadlineExceeded" if expired else type(exc).__name__,
            error_message=(f"No complete answer within {timeout:g} s." if expired
                           else _safe_message(exc, request.url))[:1024],
        )


def _safe_message(exc, url):
    """Error text without the URL's password, user-name token or query tokens (L5)."""
    return redact_text(str(exc), url)
