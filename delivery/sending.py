"""Sending a claimed batch: admit it (disabled endpoint, rate limit), run it through the send pool,
one attempt per delivery; each answer goes on to ``recording``."""

import math
import time
from datetime import UTC, datetime, timedelta
from functools import partial

from django.utils import timezone

from delivery import endpoint_policy, http_client, oauth2, rate_limit, send_pool, states, tracing, wire
from delivery.models import Attempt
from delivery.recording import record_lost, record_outcomes
from subscriptions import conf, receiver_auth
from subscriptions.redaction import redact_text
from subscriptions.secrets import active_secrets


def deliver_batch(delivery_ids, token, trigger=Attempt.Trigger.SCHEDULED):
    """Send the deliveries this token still holds; record every attempt and outcome.

    Deliveries of a disabled endpoint are parked; those over their endpoint's
    rate limit, or whose endpoint already has its share of this process's
    sending threads, go back to the database for a moment later.  Returns how
    many requests were started.
    """
    rows = states.start(delivery_ids, token)
    lost = [d for d in rows if d.send_started_at is not None]
    if lost:
        record_lost(lost, token)
    return send_claimed([d for d in rows if d.send_started_at is None], token, trigger)


def send_claimed(deliveries, token, trigger=Attempt.Trigger.SCHEDULED):
    """``deliver_batch`` for rows already loaded under their lease (with event, endpoint, secrets)."""
    settings = conf.get()
    parked = [d for d in deliveries if d.endpoint.disabled]
    if parked:
        states.release(parked, token, next_attempt_at=None)
    live, over_limit = rate_limit.admit([d for d in deliveries if not d.endpoint.disabled])
    if over_limit:
        next_second = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
        states.release(over_limit, token, next_attempt_at=next_second)
    if not live:
        return 0
    pool = send_pool.pool(settings.send_concurrency, settings.endpoint_concurrency)
    _, _, turned_away = pool.run(live, tracing.attempt_spans(_send_one),
                                 partial(record_outcomes, token=token, trigger=trigger),
                                 patience=settings.batch_patience, wait_seconds=settings.timeout)
    if turned_away:
        # Whole seconds: few distinct times make a short UPDATE.
        times = [datetime.fromtimestamp(math.ceil(t), tz=UTC) for t in pool.come_back_at(turned_away)]
        states.release(turned_away, token, next_attempt_at=times)
    return len(live) - len(turned_away)


def _send_one(delivery):
    """One attempt of one delivery: ``(request, outcome)``; never raises.

    An attempt to the URL that finds no answer or a 5xx goes on at once to
    the endpoint's fallback URL, if it has one: then the pair is the
    fallback's, its request carrying the URL's (``wire.exchanges``).
    """
    settings = conf.get()
    endpoint = delivery.endpoint
    try:
        request = _request_for(delivery)
        options, credentials = _door_options(endpoint), receiver_auth.oauth2_to_send(endpoint)
    except Exception as exc:  # e.g. the endpoint lost its secrets meanwhile
        request = wire.Request(url=endpoint.url, headers={}, body=b"")
        return request, http_client.Outcome(started_at=time.time(), duration_ms=0, succeeded=False,
                                       error_class=type(exc).__name__,
                                       error_message=redact_text(str(exc), endpoint.url))  # fitted later
    limits = {"timeout": endpoint_policy.timeout_for(endpoint, settings), "body_limit": settings.response_body_limit,
              "options": options}
    if credentials is not None:
        sent, outcome = oauth2.post(request, credentials, **limits)
    else:
        sent, outcome = request, http_client.post(request, **limits)
    if not endpoint_policy.falls_back(endpoint, outcome):
        return sent, outcome
    # The fallback gets the message as signed, not the URL's bearer token (issued for the URL's origin).
    fallback = wire.to_fallback(request, endpoint.fallback_url, (sent, outcome))
    return fallback, http_client.post(fallback, **limits)


def _door_options(endpoint):
    """What the endpoint asks of the door: its mTLS identity and trust (decrypted for this request)."""
    cert, key, ca_bundle = receiver_auth.tls_to_send(endpoint)
    if not (cert or ca_bundle):
        return http_client.NO_OPTIONS
    return http_client.DoorOptions(tls_client_cert=cert, tls_client_key=key, tls_ca_bundle=ca_bundle)


def signed_request(delivery):
    """The request a push of ``delivery`` makes, signed now: a polling endpoint's consumer reads the same
    body and headers in the poll answer (``delivery.polling``)."""
    return _request_for(delivery)


def _request_for(delivery):
    """The signed request: the one moment the endpoint's credentials and secrets are decrypted."""
    endpoint = delivery.endpoint
    body, content_type = wire.delivery_request_body(delivery)  # its own shape, made at fan-out
    return wire.build_request(
        url=endpoint.url_to_send(),
        msg_id=delivery.event_id,
        body=body,
        content_type=content_type,
        secrets=active_secrets(endpoint),
        custom_headers=tracing.with_traceparent(endpoint.headers_to_send()),
        signature_scheme=endpoint.signature_scheme,
    )
