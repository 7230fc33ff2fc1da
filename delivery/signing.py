"""Standard Webhooks signatures: the primitive that signs (``wire`` builds the header from it), and
``verify`` for a host's own receivers and tests."""

import base64
import hashlib
import hmac
import time

from subscriptions.secrets import secret_bytes


class VerificationError(Exception):
    """The request is not a validly signed, fresh webhook."""


def sign(secret, msg_id, timestamp, body):
    """``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}`` under a ``whsec_`` secret."""
    if isinstance(body, str):
        body = body.encode()
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret, headers, body, tolerance=300):
    """Check a received webhook; returns the parsed ``webhook-id`` or raises ``VerificationError``.

    ``headers`` is any mapping (names are matched case-insensitively); ``body``
    the raw bytes or text.  ``tolerance`` bounds the clock skew in seconds.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id = lowered["webhook-id"]
        timestamp = lowered["webhook-timestamp"]
        signatures = lowered["webhook-signature"]
    except KeyError as exc:
        raise VerificationError(f"missing header {exc.args[0]}") from None
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise VerificationError("webhook-timestamp is not an integer") from None
    if abs(time.time() - sent_at) > tolerance:
        raise VerificationError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, timestamp, body).encode()
    for entry in signatures.split():
        if entry.startswith("v1,") and hmac.compare_digest(entry.encode(), expected):
            return msg_id
    raise VerificationError("no matching signature")
