"""When to try a failed delivery again: the schedule (the endpoint's own, else the platform's), a
receiver's ``Retry-After``, and the 4xx answers an endpoint may ask never to retry."""

import random
from email.utils import parsedate_to_datetime

from django.utils import timezone


def parse_retry_after(value, now=None):
    """Seconds asked for by a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # not '²' or '٣', which float() rejects or misreads
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or timezone.now())).total_seconds())


def next_delay(attempts_made, schedule, *, jitter=0.2, retry_after=None, rng=random):
    """Seconds to wait before the next attempt, or None when the schedule is used up.

    ``schedule[i]`` is the delay after attempt ``i + 1``.  Each delay is spread by
    up to ``±jitter`` so that a recovering receiver is not hit by a wall of
    retries at once.  A receiver's ``Retry-After`` replaces the scheduled delay,
    capped at the schedule's longest delay.
    """
    if attempts_made > len(schedule):
        return None
    if retry_after is not None:
        return min(retry_after, max(schedule))
    base = schedule[attempts_made - 1]
    return base * (1 + rng.uniform(-jitter, jitter))


# Asked to come back later (timeout, conflict, too early, too many): retried even with retry_on_4xx off.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


def schedule_for(endpoint, settings):
    """The delays after each failed attempt: the endpoint's ``retry_schedule``, else ``WEBHOOKS_RETRY_SCHEDULE``."""
    return tuple(endpoint.retry_schedule) if endpoint.retry_schedule is not None else settings.retry_schedule


def gives_up_at_once(status, *, retry_on_4xx):
    """With ``retry_on_4xx`` off, a 4xx other than 408, 409, 425 and 429 fails the delivery at once:
    the receiver said the request itself is wrong, and sending it again will not change that."""
    return not retry_on_4xx and status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX
