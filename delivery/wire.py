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

import time
import tomllib
from dataclasses import dataclass
from datetime import UTC
from importlib import metadata
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from delivery.signing import sign
from subscriptions import body_templates, conf
from subscriptions.models import PayloadFormat
from subscriptions.validation import MAX_JSON_DEPTH, validate_json_depth

JSON = "application/json"


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


def body_timestamp(moment):
    """The `timestamp` of a body: UTC, microseconds, a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def render_body(event_type, data, occurred_at, *, payload_format=PayloadFormat.STANDARD, event_id=None):
    """The exact bytes every attempt sends: ``{"type", "timestamp", "data"}`` (the event's own body).

    ``payload_format="cloudevents"``: a CloudEvents 1.0 JSON event (structured
    mode) whose ``id`` is ``event_id`` (the ``webhook-id``), made at fan-out
    from the event's own body and kept with the delivery.  ``occurred_at`` is a
    datetime or the ISO text of the event's own body.
    """
    if not isinstance(data, dict):
        raise ValidationError("data must be a JSON object.", code="invalid_data")
    timestamp = occurred_at if isinstance(occurred_at, str) else body_timestamp(occurred_at)
    if payload_format == PayloadFormat.CLOUDEVENTS:
        document = {"specversion": "1.0", "id": event_id, "source": conf.get().cloudevents_source,
                    "type": event_type, "time": timestamp, "datacontenttype": JSON, "data": data}
    else:
        document = {"type": event_type, "timestamp": timestamp, "data": data}
    try:
        body = _ENCODER.encode(document)
        if not body.isascii():
            body.encode()  # a lone surrogate (json.loads of "\\ud800" makes one) has no UTF-8 form
    except (TypeError, ValueError, RecursionError) as exc:  # UnicodeEncodeError is a ValueError
        validate_json_depth(data, "data", code="invalid_data")  # too deep is the error to name, if it is one
        raise ValidationError(f"data is not serializable as JSON: {exc}", code="invalid_data")
    if _may_nest_deeper_than_allowed(body):
        validate_json_depth(data, "data", code="invalid_data")
    return body


# One encoder for every body: ``json.dumps(cls=...)`` would build one per call.
_ENCODER = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _may_nest_deeper_than_allowed(body):
    """False when ``body`` holds too few brackets for its data to nest deeper than the limit (the usual
    body): counting them is far cheaper than walking the data.  Brackets inside strings only make it
    say True, and then the data itself is measured."""
    return body.count("{") + body.count("[") > MAX_JSON_DEPTH + 1  # + 1: the envelope around ``data``


CONTENT_TYPES = {PayloadFormat.STANDARD: JSON, PayloadFormat.CLOUDEVENTS: "application/cloudevents+json"}


def _templated(endpoint):
    return bool(endpoint.body_template) and conf.get().body_templates


def has_own_shape(endpoint):
    """Whether deliveries to ``endpoint`` send a body of their own rather than the event's."""
    return endpoint.payload_format != PayloadFormat.STANDARD or _templated(endpoint)


def delivery_bodies(items):
    """``(body, content_type, body_error)`` of each ``(endpoint, event_id, content)``: what a delivery of
    that event to that endpoint sends instead of the event's own body (``content``, parsed).

    Made once, when the delivery is made, and kept with it.  ``(None, "", "")``:
    the event's own body.  A body template (taking precedence over the
    format) is rendered in one sandboxed batch; one that fails gives its
    delivery a ``body_error`` and no body, and the others go on.
    """
    results, templated, formatted = [], [], {}
    for position, (endpoint, event_id, content) in enumerate(items):
        if _templated(endpoint):
            templated.append(position)
            results.append(None)
        elif endpoint.payload_format == PayloadFormat.STANDARD:
            results.append((None, "", ""))
        else:  # endpoints of one format share the bytes of one event
            key = (endpoint.payload_format, event_id)
            if key not in formatted:
                formatted[key] = (render_body(content["type"], content["data"], content["timestamp"],
                                              payload_format=endpoint.payload_format, event_id=event_id),
                                  CONTENT_TYPES[endpoint.payload_format], "")
            results.append(formatted[key])
    jobs = {}  # one render per template, content type and event
    for position in templated:
        endpoint, event_id, content = items[position]
        jobs.setdefault((endpoint.body_template, endpoint.content_type, event_id),
                        (endpoint.body_template, {**content, "id": event_id}, endpoint.content_type))
    rendered = dict(zip(jobs, body_templates.render_many(list(jobs.values()))))
    for position in templated:
        endpoint, event_id, _ = items[position]
        text, error = rendered[(endpoint.body_template, endpoint.content_type, event_id)]
        content_type = endpoint.content_type or JSON
        results[position] = (text, content_type, "") if error is None else (None, content_type, error[1][:512])
    return results


class BodyError(Exception):
    """The delivery has no body to send: its template failed when it was made."""


def delivery_request_body(delivery):
    """``(body, content_type)`` of every attempt of ``delivery``; ``BodyError`` if it has none."""
    if delivery.body_error:
        raise BodyError(delivery.body_error)
    return (delivery.event.body if delivery.body is None else delivery.body), delivery.content_type


def signature_header(secrets, msg_id, timestamp, body):
    """The ``webhook-signature`` value: one entry per secret that signs right now."""
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def build_request(*, url, msg_id, body, secrets, custom_headers, timestamp=None, content_type=JSON,
                  signature_scheme="standard"):
    """The exact request of one attempt: body bytes, the endpoint's own headers, then ours over them."""
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    body_bytes = body.encode() if isinstance(body, str) else body
    id_header, timestamp_header, signature_header_name = SIGNATURE_HEADERS[signature_scheme]
    headers = dict(custom_headers or {})
    headers.update({
        "content-type": content_type or JSON,
        "user-agent": USER_AGENT,
        id_header: msg_id,
        timestamp_header: timestamp,
        signature_header_name: signature_header(secrets, msg_id, timestamp, body_bytes),
    })
    return Request(url=url, headers=headers, body=body_bytes)
