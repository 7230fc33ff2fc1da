"""How an endpoint is doing over a window: counts by outcome and attempt latency percentiles.

Everything is computed by the database (``COUNT ... GROUP BY`` and, for
percentiles, one row picked by ``ORDER BY ... OFFSET``), so the cost does not
grow with Python loops over rows; the endpoint's attempts are found through
the ``(endpoint, -started_at)`` index.
"""

import math
from datetime import timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from delivery.models import Attempt, Delivery

DEFAULT_WINDOW = timedelta(hours=24)
PERCENTILES = (50, 90, 95, 99)


def _percentile(durations, count, percent):
    """The nearest-rank percentile (as SQL's ``percentile_disc``): the value at rank ceil(p/100 * n)."""
    if not count:
        return None
    rank = max(1, math.ceil(percent / 100 * count))
    return durations.order_by("duration_ms").values_list("duration_ms", flat=True)[rank - 1]


def endpoint_stats(endpoint, since=None):
    """Counts and latencies of ``endpoint`` since ``since`` (default: the last 24 hours).

    Returns ``{"since", "until", "deliveries": {<status>: n, ..., "total": n},
    "attempts": {"total", "succeeded", "failed"}, "latency_ms": {"p50", "p90",
    "p95", "p99", "max"}}``; deliveries are those created in the window,
    attempts those started in it; latencies are ``None`` without attempts.
    """
    until = timezone.now()
    since = since or until - DEFAULT_WINDOW
    by_status = dict(
        Delivery.objects.filter(endpoint=endpoint, created_at__gte=since)
        .order_by().values_list("status").annotate(n=Count("id"))
    )
    deliveries = {status: by_status.get(status, 0) for status in Delivery.Status.values}
    deliveries["total"] = sum(by_status.values())
    attempts = Attempt.objects.filter(endpoint=endpoint, started_at__gte=since)
    totals = attempts.aggregate(total=Count("id"), succeeded=Count("id", filter=Q(succeeded=True)),
                                max=Max("duration_ms"))
    latency = {f"p{p}": _percentile(attempts, totals["total"], p) for p in PERCENTILES}
    latency["max"] = totals["max"]
    return {
        "since": since,
        "until": until,
        "deliveries": deliveries,
        "attempts": {"total": totals["total"], "succeeded": totals["succeeded"],
                     "failed": totals["total"] - totals["succeeded"]},
        "latency_ms": latency,
    }
