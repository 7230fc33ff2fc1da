"""An endpoint's own policy as the send path applies it: its timeout, its fallback URL, and a receiver's
``webhook-delivery: disable`` answer.

The fields are validated where they are saved (``subscriptions.endpoint_policy``);
the retry schedule and the 4xx rule are ``retry_policy``'s.
"""

DISABLE_HEADER = "webhook-delivery"
DISABLE_VALUE = "disable"
DISABLE_REASON = "The receiver answered with the header webhook-delivery: disable."


def timeout_for(endpoint, settings):
    """Seconds one attempt to this endpoint may take: its own ``timeout``, else ``WEBHOOKS_TIMEOUT``."""
    return endpoint.timeout or settings.timeout


def longest_send(endpoint, settings):
    """Seconds one send to this endpoint may take: an attempt, and a second one to its fallback URL."""
    return timeout_for(endpoint, settings) * (2 if endpoint.fallback_url else 1)


def falls_back(endpoint, outcome):
    """Whether a failed attempt to the URL goes on to the fallback URL at once: no answer
    (a connection error or a timeout) or a 5xx, and the endpoint has one."""
    return bool(endpoint.fallback_url) and not outcome.succeeded and (outcome.status is None or outcome.status >= 500)


def asks_to_disable(outcome):
    """The receiver's own say: an answer (any status) carrying ``webhook-delivery: disable``."""
    headers = outcome.headers or {}
    return any(name.lower() == DISABLE_HEADER and str(value).strip().lower() == DISABLE_VALUE
               for name, value in headers.items())
