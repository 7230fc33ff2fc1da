"""The dashboard's queries: figures from known rows, the same on PostgreSQL and SQLite."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import selectors
from delivery.models import Delivery
from delivery.presentation import chart as admin_chart
from subscriptions import create_endpoint
from tests.admin.conftest import make_attempt, make_delivery, make_event


def test_percentiles_are_nearest_rank_like_the_apis(history):
    """One definition for the API, the dashboard and the endpoint list (was percentile_cont's 50.5 and 95.05)."""
    hundred = create_endpoint("org_3", url="https://hundred.example.com/hooks")
    single = create_endpoint("org_3", url="https://single.example.com/hooks")
    delivery = make_delivery(make_event(hundred.tenant, 60), hundred, "succeeded")
    for duration in range(1, 101):
        make_attempt(delivery, ok=True, duration_ms=duration)
    make_attempt(make_delivery(make_event(single.tenant, 61), single, "succeeded"), ok=True, duration_ms=7)
    health = selectors.endpoint_health([hundred.pk, single.pk])
    assert (health[hundred.pk].p50_ms, health[hundred.pk].p95_ms) == (50, 95)
    assert (health[single.pk].p50_ms, health[single.pk].p95_ms) == (7, 7)


def test_endpoint_health_counts_only_the_last_24_hours(history):
    bad = history["bad"]
    old = make_delivery(make_event(bad.tenant, 50), bad, "failed")
    make_attempt(old, ok=False, minutes_ago=60 * 25)
    for n, duration in enumerate(range(10, 1010, 10)):  # 100 successes of 10..1000 ms
        make_attempt(history["retrying"], ok=True, minutes_ago=1 + n / 100, duration_ms=duration)
    health = selectors.endpoint_health([bad.pk, history["other"].pk])
    # bad: the fixture's 5 failed attempts of 120 ms, all logged 5 minutes ago, and the 100 successes
    assert health[bad.pk].attempts == 105 and health[bad.pk].succeeded == 100
    # sorted: 10..110, six of 120, 130..1000; nearest rank is the ceil(p * n)-th: the 53rd and the 100th
    assert health[bad.pk].p50_ms == 480
    assert health[bad.pk].p95_ms == 950  # percentile_cont, the console's definition before the API's, gave 948
    assert health[bad.pk].last_attempt.succeeded
    assert health[history["other"].pk].success_rate == 0.0
    assert set(health) == {bad.pk, history["other"].pk}


def test_hourly_outcomes_group_statuses_by_creation_hour(history):
    hours = selectors.hourly_outcomes()
    assert len(hours) == 24
    totals = {name: sum(counts[name] for _, counts in hours) for name in selectors.OUTCOMES}
    # the fixture's deliveries of the last 24 hours (the 3-day-old failure is out of the window)
    assert totals == {"succeeded": 1, "in progress": 2, "failed": 2, "cancelled": 0}


def test_queue_backlog_reports_due_deliveries_and_the_oldest(history):
    oldest = timezone.now() - timedelta(minutes=30)
    Delivery.objects.filter(pk=history["pending"].pk).update(next_attempt_at=oldest)
    Delivery.objects.filter(pk=history["retrying"].pk).update(next_attempt_at=None)  # parked
    backlog = selectors.queue_backlog()
    assert (backlog.due, backlog.parked, backlog.sending) == (1, 1, 0)
    assert backlog.oldest_due_at == oldest
    assert timedelta(minutes=29) < backlog.oldest_due_age < timedelta(minutes=31)


def test_top_failing_endpoints_are_ranked_by_failed_attempts(history):
    ranked = [(endpoint.pk, failed) for endpoint, failed, _ in selectors.top_failing_endpoints()]
    assert ranked == [(history["bad"].pk, 5), (history["good"].pk, 1), (history["other"].pk, 1)] or \
        ranked == [(history["bad"].pk, 5), (history["other"].pk, 1), (history["good"].pk, 1)]


def test_chart_scales_bars_to_a_round_maximum():
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    chart = admin_chart.stacked_bars([(hour, {"succeeded": 30, "in progress": 0, "failed": 7, "cancelled": 0})])
    assert admin_chart.nice_ceiling(37) == 50 and admin_chart.nice_ceiling(0) == 1
    succeeded, failed = chart["bars"]
    plot_height = chart["axis_y"] - admin_chart.TOP
    assert succeeded.height == pytest.approx(plot_height * 30 / 50, abs=0.1)
    assert failed.y + failed.height == pytest.approx(succeeded.y, abs=0.1)  # stacked on top
    assert chart["grid"][-1]["label"] == "50"
