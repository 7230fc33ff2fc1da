"""Read queries behind the console's figures: endpoint health, hourly outcomes, failing endpoints, backlog.

Each query is bounded by an id list (a page's rows) or by a time window and
a limit, so that the figures stay cheap on tables of millions of rows.
"""

import statistics
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncHour
from django.utils import timezone

from delivery.models import Attempt, Delivery
from subscriptions.models import Endpoint

WINDOW = timedelta(hours=24)
# Chart series: the delivery statuses each stacked bar groups together.
OUTCOMES = {
    "succeeded": (Delivery.Status.SUCCEEDED,),
    "in progress": (Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.RETRYING),
    "failed": (Delivery.Status.FAILED,),
    "cancelled": (Delivery.Status.CANCELLED,),
}
SQLITE_PERCENTILE_SAMPLE = 20_000  # durations read per page when the database cannot rank them itself


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont``: the database ranks the durations, none travel to Python."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


@dataclass
class Health:
    """An endpoint's last 24 hours."""

    attempts: int = 0
    succeeded: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    last_attempt: Attempt | None = None

    @property
    def success_rate(self):
        return self.succeeded / self.attempts if self.attempts else None


def endpoint_health(endpoint_ids, now=None):
    """Health of the given endpoints only (a page's rows): three indexed queries in all."""
    since = (now or timezone.now()) - WINDOW
    ids = list(endpoint_ids)
    health = {pk: Health() for pk in ids}
    if not ids:
        return health
    recent = Attempt.objects.filter(endpoint_id__in=ids, started_at__gte=since)
    _add_counts(health, recent)
    _add_last_attempts(health, ids, since)
    return health


def _add_counts(health, recent):
    figures = {"attempts": Count("id"), "succeeded": Count("id", filter=Q(succeeded=True))}
    if connection.vendor == "postgresql":
        figures |= {"p50_ms": Percentile("duration_ms", 0.5), "p95_ms": Percentile("duration_ms", 0.95)}
    for row in recent.order_by().values("endpoint_id").annotate(**figures):
        entry = health[row.pop("endpoint_id")]
        for name, value in row.items():
            setattr(entry, name, value)
    if connection.vendor != "postgresql":
        _add_percentiles_in_python(health, recent)


def _add_percentiles_in_python(health, recent):
    """SQLite has no percentile function: rank a bounded sample of the newest durations."""
    durations = {}
    rows = recent.order_by("-id").values_list("endpoint_id", "duration_ms")[:SQLITE_PERCENTILE_SAMPLE]
    for endpoint_id, duration in rows:
        durations.setdefault(endpoint_id, []).append(duration)
    for endpoint_id, values in durations.items():
        health[endpoint_id].p50_ms, health[endpoint_id].p95_ms = percentiles(values)


def percentiles(values):
    """p50 and p95 by linear interpolation, as ``percentile_cont`` computes them."""
    if len(values) == 1:
        return float(values[0]), float(values[0])
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94]


def _add_last_attempts(health, ids, since):
    latest = (Attempt.objects.filter(endpoint_id=OuterRef("pk"), started_at__gte=since)
              .order_by("-started_at", "-id").values("id")[:1])
    last_ids = (Endpoint.objects.filter(pk__in=ids).annotate(last_id=Subquery(latest))
                .values_list("last_id", flat=True))
    fields = ("id", "endpoint_id", "started_at", "succeeded", "response_status", "error_class", "duration_ms")
    for attempt in Attempt.objects.filter(id__in=[i for i in last_ids if i]).only(*fields):
        health[attempt.endpoint_id].last_attempt = attempt


def hourly_outcomes(now=None, hours=24):
    """Deliveries created in each of the last ``hours`` hours, by outcome: a list of (hour, {outcome: n})."""
    now = now or timezone.now()
    first_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    series_of = {status: name for name, statuses in OUTCOMES.items() for status in statuses}
    buckets = {first_hour + timedelta(hours=h): dict.fromkeys(OUTCOMES, 0) for h in range(hours)}
    rows = (Delivery.objects.filter(created_at__gte=first_hour).order_by()
            .annotate(hour=TruncHour("created_at")).values("hour", "status").annotate(n=Count("id")))
    for row in rows:
        if row["hour"] in buckets:
            buckets[row["hour"]][series_of[row["status"]]] += row["n"]
    return list(buckets.items())


def top_failing_endpoints(now=None, limit=10):
    """The endpoints with the most failed attempts in the last 24 hours, with their health."""
    since = (now or timezone.now()) - WINDOW
    worst = list(Attempt.objects.filter(started_at__gte=since, succeeded=False).order_by()
                 .values("endpoint_id").annotate(failed=Count("id")).order_by("-failed")[:limit])
    endpoints = Endpoint.objects.select_related("tenant").in_bulk([row["endpoint_id"] for row in worst])
    health = endpoint_health(endpoints, now)
    return [(endpoints[row["endpoint_id"]], row["failed"], health[row["endpoint_id"]])
            for row in worst if row["endpoint_id"] in endpoints]


@dataclass
class Backlog:
    due: int
    oldest_due_at: object
    parked: int
    sending: int
    now: object

    @property
    def oldest_due_age(self):
        return (self.now - self.oldest_due_at) if self.oldest_due_at else None


def queue_backlog(now=None):
    """Deliveries whose time has come but that no worker has taken yet, and how long the oldest waited."""
    now = now or timezone.now()
    waiting = Delivery.objects.filter(status__in=Delivery.Status.WAITING).order_by()
    due = waiting.filter(next_attempt_at__lte=now).aggregate(n=Count("id"), oldest=Min("next_attempt_at"))
    return Backlog(
        due=due["n"], oldest_due_at=due["oldest"], now=now,
        parked=waiting.filter(next_attempt_at__isnull=True).count(),
        sending=Delivery.objects.filter(status=Delivery.Status.SENDING).count(),
    )


def endpoint_counts():
    """How many endpoints are live, failing right now, or disabled (the endpoints table is small)."""
    counts = Endpoint.objects.aggregate(
        all_endpoints=Count("id"),
        disabled_endpoints=Count("id", filter=Q(disabled=True)),
        failing_endpoints=Count("id", filter=Q(disabled=False, failing_since__isnull=False)),
    )
    return {name.removesuffix("_endpoints").replace("all", "total"): n for name, n in counts.items()}
