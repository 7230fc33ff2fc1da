"""What a receiver gets (contract section 1, Standard Webhooks): the body, the headers, the signature.

The body is rendered once, when the event is published, and every attempt
sends those same bytes; the headers are made per attempt (a fresh
``webhook-timestamp`` and the signatures of the secrets that sign now).
``delivery.http_client`` sends the request; this module only says what it is.

An endpoint's ``signature_scheme`` names the headers: ``standard`` sends
``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``; ``svix``
sends the same values as ``svix-id``, ``svix-timestamp`` and ``svix-signature``,
which Svix's own verifiers check, so a consumer moving from Svix keeps its code.
"""

import json
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC
from importlib import metadata
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from delivery.signing import sign
from subscriptions.validation import validate_json_depth


def _package_version():
    """The installed distribution's version; in a source checkout, the one pyproject.toml declares."""
    try:
        return metadata.version("hookplatform")
    except metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text())["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


VERSION = _package_version()
USER_AGENT = f"hookplatform/{VERSION}"


SIGNATURE_HEADERS = {
    "standard": ("webhook-id", "webhook-timestamp", "webhook-signature"),
    "svix": ("svix-id", "svix-timestamp", "svix-signature"),
}


@dataclass
class Request:
    url: str
    headers: dict
    body: bytes
    # Which of the endpoint's URLs it goes to; a fallback request carries the failed (request, outcome)
    # to the url that it follows, so that both are logged as attempts.
    target: str = "url"
    follows: tuple | None = None


def exchanges(sent):
    """The attempts of one send, in order: ``(request, outcome)`` to the url, then the fallback's if tried."""
    request, _ = sent
    return [*exchanges(request.follows), sent] if request.follows else [sent]


def to_fallback(request, fallback_url, failed):
    """The same message (body, headers, id, timestamp, signatures) to the fallback URL, after ``failed``:
    the ``(request as sent, outcome)`` of the attempt to the URL."""
    return Request(url=fallback_url, headers=request.headers, body=request.body, target="fallback_url",
                   follows=failed)


def _iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def render_body(event_type, data, occurred_at):
    """The exact bytes every attempt of this event sends: ``{"type", "timestamp", "data"}``."""
    if not isinstance(data, dict):
        raise ValidationError("data must be a JSON object.", code="invalid_data")
    validate_json_depth(data, "data", code="invalid_data")  # json.dumps would raise RecursionError
    try:
        body = json.dumps(
            {"type": event_type, "timestamp": _iso(occurred_at), "data": data},
            cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
        )
        body.encode()  # a lone surrogate (json.loads of "\\ud800" makes one) has no UTF-8 form
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise ValidationError(f"data is not serializable as JSON: {exc}", code="invalid_data")
    return body


def signature_header(secrets, msg_id, timestamp, body):
    """The ``webhook-signature`` value: one entry per secret that signs right now."""
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def build_request(*, url, msg_id, body, secrets, custom_headers, timestamp=None, signature_scheme="standard"):
    """The exact request of one attempt: body bytes, the endpoint's own headers, then ours over them."""
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    body_bytes = body.encode() if isinstance(body, str) else body
    id_header, timestamp_header, signature_header_name = SIGNATURE_HEADERS[signature_scheme]
    headers = dict(custom_headers or {})
    headers.update({
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        id_header: msg_id,
        timestamp_header: timestamp,
        signature_header_name: signature_header(secrets, msg_id, timestamp, body_bytes),
    })
    return Request(url=url, headers=headers, body=body_bytes)
