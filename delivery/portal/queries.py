"""The portal's read queries: a tenant's log, one delivery with its attempts, an endpoint's figures.

Every query starts from the tenant, so another tenant's ids find nothing.
Lists page by keyset on the delivery id (newest first), served by the
``(tenant, -id)`` and ``(endpoint, -id)`` indexes, and never count rows:
a page fetches one row more than it shows to know whether an older page
exists.  The figures are ``delivery.selectors``' own, the numbers the API's
``stats/`` and the admin's dashboard give.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import F, Q

from delivery import selectors
from delivery.models import Attempt, Delivery

PAGE_SIZE = 50
ATTEMPTS_SHOWN = 200  # a delivery's retry schedule gives far fewer; only repeated resends reach it
WINDOWS = {"24h": (timedelta(hours=24), 24), "7d": (timedelta(days=7), 24 * 7)}  # span, hourly bars


@dataclass
class LogFilter:
    """What the log is narrowed to; empty values narrow nothing."""

    endpoint: str = ""
    status: str = ""
    event_type: str = ""
    event: str = ""
    since: object = None
    until: object = None


LOOKUPS = {"endpoint": "endpoint_id", "status": "status", "event_type": "event__event_type", "event": "event_id",
           "since": "created_at__gte", "until": "created_at__lt"}


@dataclass
class Page:
    """A page of deliveries newest first, with the ids the "Newer" and "Older" links start from."""

    rows: list = field(default_factory=list)
    newer: int | None = None  # show deliveries with ids above this one
    older: int | None = None  # show deliveries with ids below this one


def deliveries(tenant, log_filter=None, *, before=None, after=None, limit=PAGE_SIZE):
    """A page of ``tenant``'s deliveries matching ``log_filter``, newest first.

    ``before`` gives the page older than that delivery, ``after`` the page
    newer than it (at most one of them); neither gives the newest page.
    Newest is by id, or by creation time then id when a time range is asked
    for: the planner then walks the ``created_at`` index from the range's
    end instead of every newer id (it cannot know that the two go together).
    """
    log_filter = log_filter or LogFilter()
    keys = ("created_at", "id") if log_filter.since or log_filter.until else ("id",)
    rows = _filtered(tenant, log_filter)
    if after is not None:
        found = list(rows.filter(_beyond(tenant, keys, after, newer=True)).order_by(*keys)[:limit + 1])
        if len(found) <= limit:  # it reaches the newest: that page, in full
            return deliveries(tenant, log_filter, limit=limit)
        shown = found[:limit][::-1]
        return Page(shown, newer=shown[0].pk, older=shown[-1].pk)
    if before is not None:
        rows = rows.filter(_beyond(tenant, keys, before, newer=False))
    found = list(rows.order_by(*(f"-{key}" for key in keys))[:limit + 1])
    shown = found[:limit]
    return Page(shown, newer=shown[0].pk if shown and before is not None else None,
                older=shown[-1].pk if len(found) > limit else None)


def _beyond(tenant, keys, pk, *, newer):
    """Rows after (``newer``) or before the delivery ``pk`` in the order of ``keys``."""
    more = "gt" if newer else "lt"
    if keys == ("id",):
        return Q(**{f"id__{more}": pk})
    at = Delivery.objects.filter(tenant=tenant, pk=pk).values_list("created_at", flat=True).first()
    if at is None:  # not a delivery of this tenant's: nothing lies beyond it
        return Q(pk__in=[])
    return Q(**{f"created_at__{more}": at}) | Q(created_at=at, **{f"id__{more}": pk})


def _filtered(tenant, log_filter):
    # The event's type by a join, without loading the event (its body may be large).
    rows = (Delivery.objects.filter(tenant=tenant).select_related("endpoint")
            .only("id", "status", "attempt_count", "last_attempt_at", "last_response_status", "last_error",
                  "created_at", "event_id", "endpoint__id", "endpoint__url")
            .annotate(event_type=F("event__event_type")))
    return rows.filter(**{lookup: getattr(log_filter, name) for name, lookup in LOOKUPS.items()
                          if getattr(log_filter, name)})


def delivery(tenant, pk):
    """``tenant``'s delivery ``pk`` with its event and endpoint, or ``None``."""
    return Delivery.objects.filter(tenant=tenant, pk=pk).select_related("event", "endpoint").first()


def attempts(delivery):
    """Every attempt of ``delivery``, newest first (at most ``ATTEMPTS_SHOWN``)."""
    return list(Attempt.objects.filter(delivery=delivery).order_by("-id")[:ATTEMPTS_SHOWN])


def endpoint_figures(endpoint, window="24h", now=None):
    """Deliveries per hour by outcome (the dashboard's series) and latency percentiles (the API's) over ``window``.

    The window starts at the first hour of the chart, so that the outcome
    totals are the chart's own; the latency is the newest sample's since then.
    """
    span, hours = WINDOWS[window]
    buckets = selectors.hourly_outcomes(now, hours=hours, endpoint=endpoint)
    return {
        "window": window,
        "hours": buckets,
        "totals": {name: sum(counts[name] for _, counts in buckets) for name in selectors.OUTCOMES},
        "latency_ms": selectors.latency_percentiles([endpoint.pk], buckets[0][0])[endpoint.pk],
    }
