"""The portal's log and figures queries: scoped to the tenant, keyset pages, the API's figures."""

from datetime import timedelta

from django.utils import timezone

from delivery import selectors
from delivery.models import Delivery
from delivery.portal import queries
from delivery.portal.queries import LogFilter
from tests.admin.conftest import make_attempt, make_delivery, make_event


def ids(page):
    return [row.pk for row in page.rows]


def test_the_log_is_the_tenants_only_newest_first(history, tenant):
    page = queries.deliveries(tenant)
    mine = list(Delivery.objects.filter(tenant=tenant).order_by("-id").values_list("id", flat=True))
    assert ids(page) == mine and history["other_failed"].pk not in ids(page)
    assert (page.newer, page.older) == (None, None)
    assert page.rows[0].event_type == "invoice.paid" and page.rows[0].endpoint.url


def test_filters_narrow_the_log(history, tenant):
    by = lambda **kw: set(ids(queries.deliveries(tenant, LogFilter(**kw))))  # noqa: E731
    assert by(endpoint=history["bad"].pk) == {history[k].pk for k in ("failed", "old_failed", "retrying")}
    assert by(status="failed") == {history["failed"].pk, history["old_failed"].pk}
    assert by(event=history["events"][0].pk) == {history["succeeded"].pk, history["failed"].pk}
    assert by(event_type="call.ended") == set()
    assert by(since=timezone.now() - timedelta(days=1)) == by() - {history["old_failed"].pk}
    assert by(until=timezone.now() - timedelta(days=1)) == {history["old_failed"].pk}
    assert by(endpoint=history["other"].pk) == set()  # another tenant's endpoint finds nothing
    assert by(event=history["other_failed"].event_id) == set()


def test_pages_walk_older_and_back_newer_without_gaps(history, tenant):
    everything = ids(queries.deliveries(tenant))
    first = queries.deliveries(tenant, limit=2)
    assert ids(first) == everything[:2] and first.newer is None and first.older == everything[1]
    second = queries.deliveries(tenant, before=first.older, limit=2)
    assert ids(second) == everything[2:4] and second.newer == everything[2] and second.older == everything[3]
    last = queries.deliveries(tenant, before=second.older, limit=2)
    assert ids(last) == everything[4:] and last.older is None
    back = queries.deliveries(tenant, after=last.newer, limit=2)
    assert ids(back) == everything[2:4] and back.newer == everything[2] and back.older == everything[3]
    top = queries.deliveries(tenant, after=back.newer, limit=2)
    assert ids(top) == everything[:2] and top.newer is None


def test_a_delivery_and_its_attempts_are_found_only_in_its_tenant(history, tenant):
    found = queries.delivery(tenant, history["failed"].pk)
    assert found == history["failed"] and len(queries.attempts(found)) == 3
    assert queries.delivery(tenant, history["other_failed"].pk) is None


def test_figures_are_this_endpoints_hours_and_the_apis_latency(history, tenant):
    bad = history["bad"]
    make_attempt(make_delivery(make_event(tenant, 70), bad, "succeeded", created_ago=timedelta(days=2)),
                 ok=True, minutes_ago=60 * 47, duration_ms=900)
    day, week = queries.endpoint_figures(bad), queries.endpoint_figures(bad, "7d")
    assert len(day["hours"]) == 24 and len(week["hours"]) == 24 * 7
    assert day["totals"] == {"succeeded": 0, "in progress": 1, "failed": 1, "cancelled": 0}
    assert week["totals"] == {"succeeded": 1, "in progress": 1, "failed": 2, "cancelled": 0}
    assert day["latency_ms"] == selectors.endpoint_stats(bad)["latency_ms"]  # the API's stats/, 120 ms each
    assert week["latency_ms"]["max"] == 900 and week["latency_ms"]["p50"] == 120


def test_with_a_time_range_pages_follow_creation_time(history, tenant):
    """Newest by creation time then id, so that the planner walks the created_at index (the bench's finding)."""
    since = LogFilter(since=timezone.now() - timedelta(days=30))
    by_time = list(Delivery.objects.filter(tenant=tenant).order_by("-created_at", "-id").values_list("id", flat=True))
    assert ids(queries.deliveries(tenant, since)) == by_time != sorted(by_time, reverse=True)  # old_failed last
    first = queries.deliveries(tenant, since, limit=2)
    second = queries.deliveries(tenant, since, before=first.older, limit=2)
    third = queries.deliveries(tenant, since, before=second.older, limit=2)
    assert ids(first) + ids(second) + ids(third) == by_time and third.older is None
    assert ids(queries.deliveries(tenant, since, after=third.newer, limit=2)) == ids(second)
    assert ids(queries.deliveries(tenant, since, before=history["other_failed"].pk)) == []
