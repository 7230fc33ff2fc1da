"""The retry schedule (the platform's or an endpoint's own), its jitter, ``Retry-After`` and the 4xx rule."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from delivery.retry_policy import gives_up_at_once, next_delay, parse_retry_after, schedule_for
from subscriptions import conf

DEFAULT = conf.DEFAULTS["WEBHOOKS_RETRY_SCHEDULE"]
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class Fixed:
    """A stand-in for ``random`` that always draws the same end of the range."""

    def __init__(self, pick):
        self.pick = pick

    def uniform(self, low, high):
        return low if self.pick == "low" else high


def test_default_schedule_is_the_contracts():
    assert DEFAULT == (5, 300, 1800, 7200, 18000, 36000, 36000)


@pytest.mark.parametrize("attempt, base", list(enumerate(DEFAULT, start=1)))
def test_each_delay_follows_the_schedule(attempt, base):
    assert next_delay(attempt, DEFAULT, jitter=0) == base


@pytest.mark.parametrize("attempt, base", list(enumerate(DEFAULT, start=1)))
def test_jitter_stays_within_twenty_percent(attempt, base):
    rng = random.Random(attempt)
    delays = [next_delay(attempt, DEFAULT, jitter=0.2, rng=rng) for _ in range(200)]
    assert all(0.8 * base <= d <= 1.2 * base for d in delays)
    assert len(set(delays)) > 100  # actually spread, not constant


def test_jitter_reaches_both_ends():
    assert next_delay(2, DEFAULT, jitter=0.2, rng=Fixed("low")) == pytest.approx(240)
    assert next_delay(2, DEFAULT, jitter=0.2, rng=Fixed("high")) == pytest.approx(360)


def test_schedule_is_exhausted_after_its_last_delay():
    assert next_delay(len(DEFAULT), DEFAULT) is not None
    assert next_delay(len(DEFAULT) + 1, DEFAULT) is None
    assert next_delay(4, (1, 1, 1)) is None


def test_retry_after_replaces_the_schedule():
    assert next_delay(1, DEFAULT, retry_after=42) == 42
    assert next_delay(1, DEFAULT, retry_after=0) == 0


def test_retry_after_is_capped_at_the_longest_delay():
    assert next_delay(1, DEFAULT, retry_after=10**9) == max(DEFAULT)
    assert next_delay(1, (1, 2, 3), retry_after=60) == 3


def test_retry_after_does_not_extend_the_schedule():
    assert next_delay(len(DEFAULT) + 1, DEFAULT, retry_after=5) is None


@pytest.mark.parametrize("value, seconds", [
    ("120", 120.0), (" 7 ", 7.0), ("0", 0.0),
    (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
    ("Fri, 02 Jan 2026 03:05:05 GMT", 60.0),
    (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),  # in the past: now
])
def test_parse_retry_after(value, seconds):
    assert parse_retry_after(value, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5e3", "\u00b2", "\u0663",
                                   "Fri, 02 Jan 2026 03:05:05", "Mon, 99 Foo 2026 99:99:99 GMT"])
def test_parse_retry_after_ignores_nonsense(value):
    assert parse_retry_after(value, NOW) is None


# --- An endpoint's own policy --------------------------------------------------------

class Policy:
    """The two fields of an endpoint ``schedule_for`` reads, and the platform's schedule."""

    def __init__(self, retry_schedule=None, platform=DEFAULT):
        self.retry_schedule, self.platform = retry_schedule, platform

    @property
    def settings(self):
        return type("Settings", (), {"retry_schedule": self.platform})()


def test_an_endpoint_schedule_replaces_the_platform_one():
    own = Policy(retry_schedule=[10, 60])
    assert schedule_for(own, own.settings) == (10, 60)
    assert next_delay(3, schedule_for(own, own.settings)) is None  # three attempts in all


def test_no_endpoint_schedule_means_the_platform_one_and_an_empty_one_no_retry():
    platform = Policy(retry_schedule=None)
    assert schedule_for(platform, platform.settings) == DEFAULT
    never = Policy(retry_schedule=[])
    assert next_delay(1, schedule_for(never, never.settings)) is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 422, 499])
def test_without_retry_on_4xx_a_client_error_gives_up_at_once(status):
    assert gives_up_at_once(status, retry_on_4xx=False)
    assert not gives_up_at_once(status, retry_on_4xx=True)


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 503, 302, 200, None])
def test_asked_to_come_back_server_errors_and_no_answer_are_retried_all_the_same(status):
    assert not gives_up_at_once(status, retry_on_4xx=False)
