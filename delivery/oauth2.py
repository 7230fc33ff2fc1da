"""OAuth2 client credentials for receivers behind a gateway (RFC 6749 4.4).

One access token per set of credentials, fetched through the same door as
the attempts (SSRF-checked, pinned, through the egress proxy), cached until
shortly before it expires (``WEBHOOKS_OAUTH2_TOKEN_MARGIN``) and shared by
the process's sending threads: while one thread fetches, the others wait
for its token rather than asking too.  A 401 from the receiver fetches a new
token and sends once more.  The whole attempt, token requests included,
keeps within the attempt's timeout.
"""

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass, replace
from urllib.parse import quote_plus

from delivery import http_client, wire
from subscriptions import conf

TOKEN_ERROR = "OAuth2TokenError"
TOKEN_BODY_LIMIT = 64 * 1024
DEFAULT_LIFETIME = 300  # seconds, for a token answer without expires_in
MAX_CACHED = 10_000


class TokenFailure(Exception):
    """No token: ``outcome`` is the attempt's failed outcome (a token error, or the proxy's)."""

    def __init__(self, outcome):
        super().__init__(outcome.error_message)
        self.outcome = outcome


@dataclass(frozen=True)
class _Token:
    value: str
    fresh_until: float  # time.monotonic()


_lock = threading.Lock()
_tokens = {}  # credentials digest -> _Token
_fetching = {}  # credentials digest -> Lock held by the thread fetching its token


def clear_cache():
    with _lock:
        _tokens.clear()


def _digest(credentials):
    return hashlib.sha256(json.dumps(credentials, sort_keys=True).encode()).hexdigest()


def bearer(credentials, *, timeout, stale=None):
    """A fresh access token for ``credentials``; ``stale`` (refused by the receiver) is replaced, once.

    Raises ``TokenFailure``.
    """
    key = _digest(credentials)
    with _lock:
        fetching = _fetching.setdefault(key, threading.Lock())
    with fetching:
        token = _tokens.get(key)
        if token is not None and token.value != stale and token.fresh_until > time.monotonic():
            return token.value
        token = _fetch(credentials, timeout)
        with _lock:
            if len(_tokens) >= MAX_CACHED:
                _tokens.clear()
            _tokens[key] = token
        return token.value


def _basic(client_id, client_secret):
    """client_secret_basic: both form-encoded, then base64 (RFC 6749 2.3.1)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _fetch(credentials, timeout):
    fields = {"grant_type": "client_credentials"}
    fields.update({name: credentials[name] for name in ("scope", "audience") if credentials.get(name)})
    headers = {"authorization": _basic(credentials["client_id"], credentials["client_secret"]),
               "user-agent": wire.USER_AGENT}
    outcome = http_client.post_form(credentials["token_url"], fields, headers=headers, timeout=timeout,
                                    body_limit=TOKEN_BODY_LIMIT)
    if outcome.error_class == http_client.PROXY_ERROR:
        raise TokenFailure(outcome)
    if not outcome.succeeded:
        raise TokenFailure(_token_error(outcome, _refusal(outcome)))
    try:
        answer = json.loads(outcome.body)
        value, kind = answer["access_token"], answer.get("token_type", "Bearer")
        lifetime = float(answer.get("expires_in") or DEFAULT_LIFETIME)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise TokenFailure(_token_error(outcome, "The token endpoint's answer has no access_token.")) from None
    sendable = isinstance(value, str) and value.isascii() and value.isprintable()  # one header line
    if not value or not sendable or str(kind).lower() != "bearer":
        raise TokenFailure(_token_error(outcome, "The token endpoint's answer has no usable bearer token."))
    margin = conf.get().oauth2_token_margin
    return _Token(value, time.monotonic() + max(lifetime - margin, lifetime / 2))


def _refusal(outcome):
    if outcome.status is None:
        return f"The token request failed: {outcome.error_class}: {outcome.error_message}"
    try:
        answer = json.loads(outcome.body)
        reason = " ".join(str(answer.get(k, "")) for k in ("error", "error_description")).strip()
    except (ValueError, AttributeError):
        reason = ""
    return f"The token endpoint answered {outcome.status}{': ' + reason if reason else ''}."


def _token_error(outcome, message):
    return replace(outcome, succeeded=False, error_class=TOKEN_ERROR, error_message=message[:1024],
                   status=None, headers=None, body="")


def post(request, credentials, *, timeout, body_limit, options):
    """One attempt with ``Authorization: Bearer``: ``(request as sent, outcome)``; never raises.

    A 401 fetches a new token and sends once more; token failures are the
    attempt's outcome.  Token requests and sends share the one timeout.
    """
    started_at, start = time.time(), time.monotonic()

    def left():
        return max(start + timeout - time.monotonic(), 0.001)

    try:
        token = bearer(credentials, timeout=left())
        sent = _authorized(request, token)
        outcome = http_client.post(sent, timeout=left(), body_limit=body_limit, options=options)
        if outcome.status == 401:
            sent = _authorized(request, bearer(credentials, timeout=left(), stale=token))
            outcome = http_client.post(sent, timeout=left(), body_limit=body_limit, options=options)
    except TokenFailure as exc:
        sent, outcome = request, exc.outcome
    return sent, replace(outcome, started_at=started_at, duration_ms=int((time.monotonic() - start) * 1000))


def _authorized(request, token):
    return replace(request, headers={**request.headers, "authorization": f"Bearer {token}"})
