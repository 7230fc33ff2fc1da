"""An endpoint's own delivery policy: signature scheme, retry schedule, retrying on 4xx, timeout, fallback URL.

The rules each field keeps, for Python, REST and admin callers alike
(``endpoints.validate_endpoint_fields`` runs them); the bounds come from
the settings (``WEBHOOKS_ENDPOINT_*``).  The send path reads the stored
values through ``delivery.endpoint_policy``.
"""

import math

from django.core.exceptions import ValidationError

from subscriptions import conf
from subscriptions.redaction import redact_url
from subscriptions.ssrf import check_url
from subscriptions.validation import validate_text

SIGNATURE_SCHEMES = ("standard", "svix")
MAX_FALLBACK_URL = 2048
POLICY_FIELDS = ("signature_scheme", "retry_schedule", "retry_on_4xx", "timeout", "fallback_url")


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_signature_scheme(scheme):
    if scheme not in SIGNATURE_SCHEMES:
        raise ValidationError(f"signature_scheme is one of {', '.join(SIGNATURE_SCHEMES)}.", code="invalid")


def validate_retry_schedule(schedule):
    """null (the platform's schedule) or a list of delays in seconds, each from 1 to the platform's longest."""
    if schedule is None:
        return
    settings = conf.get()
    longest, most = settings.endpoint_max_retry_delay, settings.endpoint_max_retries
    if not isinstance(schedule, list | tuple) or not all(_is_number(delay) for delay in schedule):
        raise ValidationError("retry_schedule is a list of delays in seconds, or null for the platform's.",
                              code="invalid")
    if len(schedule) > most:
        raise ValidationError(f"retry_schedule lists at most {most} delays.", code="too_many")
    if any(not 1 <= delay <= longest for delay in schedule):
        raise ValidationError(f"Each delay of retry_schedule is from 1 to {longest:g} seconds.", code="invalid")


def validate_retry_on_4xx(value):
    if not isinstance(value, bool):
        raise ValidationError("retry_on_4xx is true or false.", code="invalid")


def validate_timeout(timeout):
    """null (``WEBHOOKS_TIMEOUT``) or seconds within the platform's bounds."""
    if timeout is None:
        return
    settings = conf.get()
    low, high = settings.endpoint_timeout_min, settings.endpoint_timeout_max
    if not _is_number(timeout) or not low <= timeout <= high:
        raise ValidationError(f"timeout is a number of seconds from {low:g} to {high:g}, or null.", code="invalid")


def validate_fallback_url(url):
    """Empty (none) or an allowed webhook target, with no credentials in it (custom headers carry them)."""
    if url == "":
        return
    validate_text(url, "fallback_url", MAX_FALLBACK_URL)
    if redact_url(url) != url:  # it is stored and shown as given: no password nor token in it
        raise ValidationError("fallback_url may not carry credentials (user info, tokens in the query); "
                              "send them in a custom header.",
                              code="credentials_refused")
    check_url(url)


CHECKS = {
    "signature_scheme": validate_signature_scheme,
    "retry_schedule": validate_retry_schedule,
    "retry_on_4xx": validate_retry_on_4xx,
    "timeout": validate_timeout,
    "fallback_url": validate_fallback_url,
}
