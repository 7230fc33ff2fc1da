"""The one door for outbound HTTP: sign, POST, read a bounded response.

One pooled ``requests.Session`` per worker process.  Redirects are never
followed, the response body is read only up to the logged limit, and the
whole attempt is bounded by the timeout, even against a receiver that
trickles its answer.
"""

import os
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from delivery.signing import signature_header

VERSION = "1.0"
USER_AGENT = f"hookplatform/{VERSION}"
REDACTED = "<redacted>"
SENSITIVE_WORDS = ("auth", "token", "secret", "key", "cookie", "signature", "password")

_local = threading.local()
_session_lock = threading.Lock()
_session = None
_session_pid = None


def session(pool_size=32):
    """This process's pooled session (a new one after a fork)."""
    global _session, _session_pid
    if _session is None or _session_pid != os.getpid():
        with _session_lock:
            if _session is None or _session_pid != os.getpid():
                new = requests.Session()
                adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
                new.mount("http://", adapter)
                new.mount("https://", adapter)
                new.trust_env = False
                _session, _session_pid = new, os.getpid()
    return _session


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


def redact_url(url):
    """The URL with any password replaced, for logs and the attempt log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:{REDACTED}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def redact_headers(headers):
    """Headers as the attempt log keeps them: credentials and signatures hidden."""
    return {
        name: (REDACTED if any(word in name.lower() for word in SENSITIVE_WORDS) else value)
        for name, value in headers.items()
    }


def _read_capped(response, limit, deadline):
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=4096):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or time.monotonic() > deadline:
            break
    return b"".join(chunks)[:limit]


def send(request, *, timeout, body_limit):
    """POST one request; never raises for anything the receiver or network does."""
    started_at = time.time()
    start = time.monotonic()
    deadline = start + timeout
    try:
        response = session().post(
            request.url, data=request.body, headers=request.headers,
            timeout=(min(timeout, 10.0), timeout), allow_redirects=False, stream=True,
        )
        try:
            raw = _read_capped(response, body_limit, deadline)
        finally:
            response.close()
        status = response.status_code
        return Outcome(
            started_at=started_at,
            duration_ms=int((time.monotonic() - start) * 1000),
            succeeded=200 <= status < 300,
            status=status,
            headers=dict(response.headers),
            body=raw.decode("utf-8", errors="replace"),
        )
    except Exception as exc:  # every failure of the receiver or network is a failed attempt
        return Outcome(
            started_at=started_at,
            duration_ms=int((time.monotonic() - start) * 1000),
            succeeded=False,
            error_class=type(exc).__name__,
            error_message=_safe_message(exc, request.url)[:1024],
        )


def _safe_message(exc, url):
    message = str(exc)
    parts = urlsplit(url)
    if parts.password:
        message = message.replace(parts.password, REDACTED)
    return message
