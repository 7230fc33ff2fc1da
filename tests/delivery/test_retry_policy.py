"""The retry schedule, its jitter and ``Retry-After``."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from delivery.retry_policy import next_delay, parse_retry_after
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
