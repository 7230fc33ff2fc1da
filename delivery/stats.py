"""How an endpoint is doing over a window: counts by outcome and attempt latency percentiles.

Counts are computed by the database (``COUNT ... GROUP BY``).  The work any
tenant key can start is bounded: the window goes back at most ``MAX_WINDOW``
(an older ``since`` is refused), and latency percentiles are taken over the
window's most recent ``LATENCY_SAMPLE`` attempts, read in one query through
the ``(endpoint, -started_at)`` index, instead of sorting every attempt of
the window once per percentile.
"""

import math
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from delivery.models import Attempt, Delivery

DEFAULT_WINDOW = timedelta(hours=24)
MAX_WINDOW = timedelta(days=30)
LATENCY_SAMPLE = 10_000
PERCENTILES = (50, 90, 95, 99)


def _percentile(durations, percent):
    """The nearest-rank percentile (as SQL's ``percentile_disc``) of sorted ``durations``."""
    if not durations:
        return None
    rank = max(1, math.ceil(percent / 100 * len(durations)))
    return durations[rank - 1]


def _check_window(since, until):
    if since < until - MAX_WINDOW:
        raise ValidationError(f"since may be at most {MAX_WINDOW.days} days ago.", code="invalid")


def endpoint_stats(endpoint, since=None):
    """Counts and latencies of ``endpoint`` since ``since`` (default: the last 24 hours).

    Returns ``{"since", "until", "deliveries": {<status>: n, ..., "total": n},
    "attempts": {"total", "succeeded", "failed"}, "latency_ms": {"p50", "p90",
    "p95", "p99", "max"}}``; deliveries are those created in the window,
    attempts those started in it; latencies (of the most recent
    ``LATENCY_SAMPLE`` attempts) are ``None`` without attempts.  A window
    longer than ``MAX_WINDOW`` raises ``ValidationError``.
    """
    until = timezone.now()
    since = since or until - DEFAULT_WINDOW
    _check_window(since, until)
    by_status = dict(
        Delivery.objects.filter(endpoint=endpoint, created_at__gte=since)
        .order_by().values_list("status").annotate(n=Count("id"))
    )
    deliveries = {status: by_status.get(status, 0) for status in Delivery.Status.values}
    deliveries["total"] = sum(by_status.values())
    attempts = Attempt.objects.filter(endpoint=endpoint, started_at__gte=since)
    totals = attempts.aggregate(total=Count("id"), succeeded=Count("id", filter=Q(succeeded=True)))
    recent = sorted(attempts.order_by("-started_at").values_list("duration_ms", flat=True)[:LATENCY_SAMPLE])
    latency = {f"p{p}": _percentile(recent, p) for p in PERCENTILES}
    latency["max"] = recent[-1] if recent else None
    return {
        "since": since,
        "until": until,
        "deliveries": deliveries,
        "attempts": {"total": totals["total"], "succeeded": totals["succeeded"],
                     "failed": totals["total"] - totals["succeeded"]},
        "latency_ms": latency,
    }
