"""Read queries behind every figure: the API's stats, the console's dashboard and health, the /metrics gauges.

One home so that the three show the same number for the same question.
Latency percentiles have one definition, nearest-rank (SQL's
``percentile_disc``: the smallest observed duration with at least p % of the
sample at or below it), taken over the window's newest ``LATENCY_SAMPLE``
attempts of each endpoint, and ranked by the database with window functions,
which PostgreSQL and SQLite both have, so both give the same answer.  Every
query is bounded by an id list (a page's rows), a time window and a limit.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncHour
from django.utils import timezone

from delivery.models import Attempt, Delivery, Event
from subscriptions.models import Endpoint

DEFAULT_WINDOW = timedelta(hours=24)  # the API's default window and the console's health window
MAX_WINDOW = timedelta(days=30)
LATENCY_SAMPLE = 10_000  # newest attempts per endpoint that percentiles are taken over
PERCENTILES = (50, 90, 95, 99)
# Chart series: the delivery statuses each stacked bar groups together.
OUTCOMES = {
    "succeeded": (Delivery.Status.SUCCEEDED,),
    "in progress": (Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.RETRYING),
    "failed": (Delivery.Status.FAILED,),
    "cancelled": (Delivery.Status.CANCELLED,),
}


# --- Latency -----------------------------------------------------------------

def latency_percentiles(endpoint_ids, since):
    """``{endpoint_id: {"p50", "p90", "p95", "p99", "max"}}`` over each endpoint's newest sample since ``since``.

    One query; at most five rows per endpoint come back.  Endpoints without
    attempts in the window get ``None`` for every figure.
    """
    ids = list(endpoint_ids)
    latency = {pk: dict.fromkeys((*(f"p{p}" for p in PERCENTILES), "max")) for pk in ids}
    if not ids:
        return latency
    with connection.cursor() as cursor:
        cursor.execute(_ranked_sample_sql(len(ids)), [*ids, connection.ops.adapt_datetimefield_value(since)])
        for endpoint_id, duration, rank, count in cursor.fetchall():
            figures = latency[endpoint_id]
            for p in PERCENTILES:
                if rank == _nearest_rank(p, count):
                    figures[f"p{p}"] = duration
            if rank == count:
                figures["max"] = duration
    return latency


def _nearest_rank(percent, count):
    """The 1-based rank of the p-th percentile among ``count`` sorted values: ceil(p/100 * count)."""
    return (percent * count + 99) // 100


def _ranked_sample_sql(id_count):
    """The sample (newest first, per endpoint), ranked by duration; only the rows a figure needs come back."""
    q = connection.ops.quote_name
    ranks = ", ".join([*(f"({p} * n + 99) / 100" for p in PERCENTILES), "n"])
    return (
        f"SELECT endpoint_id, duration_ms, rank_, n FROM ("
        f" SELECT endpoint_id, duration_ms,"
        f"  ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY duration_ms) AS rank_,"
        f"  COUNT(*) OVER (PARTITION BY endpoint_id) AS n"
        f" FROM ("
        f"  SELECT {q('endpoint_id')} AS endpoint_id, {q('duration_ms')} AS duration_ms,"
        f"   ROW_NUMBER() OVER (PARTITION BY {q('endpoint_id')}"
        f"    ORDER BY {q('started_at')} DESC, {q('id')} DESC) AS newest"
        f"  FROM {q(Attempt._meta.db_table)}"
        f"  WHERE {q('endpoint_id')} IN ({', '.join(['%s'] * id_count)}) AND {q('started_at')} >= %s"
        f" ) sample WHERE newest <= {int(LATENCY_SAMPLE)}"
        f") ranked WHERE rank_ IN ({ranks})"
    )


# --- An endpoint over a window (the API's stats) ----------------------------------

def endpoint_stats(endpoint, since=None):
    """Counts and latencies of ``endpoint`` since ``since`` (default: the last 24 hours).

    Returns ``{"since", "until", "deliveries": {<status>: n, ..., "total": n},
    "attempts": {"total", "succeeded", "failed"}, "latency_ms": {"p50", "p90",
    "p95", "p99", "max"}}``; deliveries are those created in the window,
    attempts those started in it; latencies are ``None`` without attempts.
    A window longer than ``MAX_WINDOW`` raises ``ValidationError``.
    """
    until = timezone.now()
    since = since or until - DEFAULT_WINDOW
    if since < until - MAX_WINDOW:
        raise ValidationError(f"since may be at most {MAX_WINDOW.days} days ago.", code="invalid")
    by_status = dict(
        Delivery.objects.filter(endpoint=endpoint, created_at__gte=since)
        .order_by().values_list("status").annotate(n=Count("*"))
    )
    deliveries = {status: by_status.get(status, 0) for status in Delivery.Status.values}
    deliveries["total"] = sum(by_status.values())
    totals = Attempt.objects.filter(endpoint=endpoint, started_at__gte=since).aggregate(
        total=Count("id"), succeeded=Count("id", filter=Q(succeeded=True)))
    return {
        "since": since,
        "until": until,
        "deliveries": deliveries,
        "attempts": {"total": totals["total"], "succeeded": totals["succeeded"],
                     "failed": totals["total"] - totals["succeeded"]},
        "latency_ms": latency_percentiles([endpoint.pk], since)[endpoint.pk],
    }


# --- Endpoint health (the console's lists and dashboard) ------------------------------

@dataclass
class Health:
    """An endpoint's last 24 hours."""

    attempts: int = 0
    succeeded: int = 0
    p50_ms: int | None = None
    p95_ms: int | None = None
    last_attempt: Attempt | None = None

    @property
    def success_rate(self):
        return self.succeeded / self.attempts if self.attempts else None


def endpoint_health(endpoint_ids, now=None, *, latency=True, last_attempt=True):
    """Health of the given endpoints only (a page's rows): up to four indexed queries in all.

    A page that shows no latency (the portal's) passes ``latency=False``: the
    percentiles sort the window's attempts and are the dearest part; without
    ``last_attempt`` the last attempts are not looked up either.
    """
    since = (now or timezone.now()) - DEFAULT_WINDOW
    ids = list(endpoint_ids)
    health = {pk: Health() for pk in ids}
    if not ids:
        return health
    counts = (Attempt.objects.filter(endpoint_id__in=ids, started_at__gte=since).order_by().values("endpoint_id")
              .annotate(attempts=Count("id"), succeeded=Count("id", filter=Q(succeeded=True))))
    for row in counts:
        health[row["endpoint_id"]].attempts, health[row["endpoint_id"]].succeeded = row["attempts"], row["succeeded"]
    for pk, percentiles in (latency_percentiles(ids, since) if latency else {}).items():
        health[pk].p50_ms, health[pk].p95_ms = percentiles["p50"], percentiles["p95"]
    for attempt in _last_attempts(ids, since) if last_attempt else ():
        health[attempt.endpoint_id].last_attempt = attempt
    return health


def _last_attempts(ids, since):
    latest = (Attempt.objects.filter(endpoint_id=OuterRef("pk"), started_at__gte=since)
              .order_by("-started_at", "-id").values("id")[:1])
    last_ids = (Endpoint.objects.filter(pk__in=ids).annotate(last_id=Subquery(latest))
                .values_list("last_id", flat=True))
    fields = ("id", "endpoint_id", "started_at", "succeeded", "response_status", "error_class", "duration_ms")
    return Attempt.objects.filter(id__in=[i for i in last_ids if i]).only(*fields)


def top_failing_endpoints(now=None, limit=10):
    """The endpoints with the most failed attempts in the last 24 hours, with their health."""
    since = (now or timezone.now()) - DEFAULT_WINDOW
    worst = list(Attempt.objects.filter(started_at__gte=since, succeeded=False).order_by()
                 .values("endpoint_id").annotate(failed=Count("id")).order_by("-failed")[:limit])
    endpoints = Endpoint.objects.select_related("tenant").in_bulk([row["endpoint_id"] for row in worst])
    health = endpoint_health(endpoints, now)
    return [(endpoints[row["endpoint_id"]], row["failed"], health[row["endpoint_id"]])
            for row in worst if row["endpoint_id"] in endpoints]


def endpoint_counts():
    """How many endpoints there are, how many are failing right now, how many disabled (a small table)."""
    counts = Endpoint.objects.aggregate(
        all_endpoints=Count("id"),
        disabled_endpoints=Count("id", filter=Q(disabled=True)),
        failing_endpoints=Count("id", filter=Q(disabled=False, send_state__failing_since__isnull=False)),
    )
    return {name.removesuffix("_endpoints").replace("all", "total"): n for name, n in counts.items()}


# --- Traffic and backlog --------------------------------------------------------

def hourly_outcomes(now=None, hours=24, endpoint=None):
    """Deliveries created in each of the last ``hours`` hours, by outcome: a list of (hour, {outcome: n}).

    Of every endpoint (the dashboard), or of ``endpoint`` only (the portal's figures).
    """
    now = now or timezone.now()
    first_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    series_of = {status: name for name, statuses in OUTCOMES.items() for status in statuses}
    buckets = {first_hour + timedelta(hours=h): dict.fromkeys(OUTCOMES, 0) for h in range(hours)}
    deliveries = Delivery.objects.filter(created_at__gte=first_hour)
    if endpoint is not None:
        deliveries = deliveries.filter(endpoint=endpoint)
    rows = (deliveries.order_by()  # COUNT(*): an endpoint's rows are counted from its index alone
            .annotate(hour=TruncHour("created_at")).values("hour", "status").annotate(n=Count("*")))
    for row in rows:
        if row["hour"] in buckets:
            buckets[row["hour"]][series_of[row["status"]]] += row["n"]
    return list(buckets.items())


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
    """Deliveries whose time has come but that no worker has taken yet, and how long the oldest waited.

    Queries the partial indexes on waiting and sending deliveries answer.
    """
    now = now or timezone.now()
    waiting = Delivery.objects.filter(status__in=Delivery.Status.WAITING).order_by()
    due = waiting.filter(next_attempt_at__lte=now).aggregate(n=Count("id"), oldest=Min("next_attempt_at"))
    return Backlog(
        due=due["n"], oldest_due_at=due["oldest"], now=now,
        parked=waiting.filter(next_attempt_at__isnull=True).count(),
        sending=Delivery.objects.filter(status=Delivery.Status.SENDING).count(),
    )


def events_not_fanned_out():
    """Published events that no fan-out has taken yet."""
    return Event.objects.filter(fanned_out_at__isnull=True).count()
