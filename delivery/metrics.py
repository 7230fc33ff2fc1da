"""Prometheus metrics: counters the workers increment, gauges read from the database at scrape time.

Why two kinds: attempts happen in worker processes, so their count and
latency are counted where they happen (``prometheus_client``'s multiprocess
mode writes them to ``PROMETHEUS_MULTIPROC_DIR``, which the web process
reads when scraped).  The backlog and the disabled endpoints are facts of the
database, true whichever machine asks, so they are read there, by the same
queries as the console's dashboard (``delivery.selectors``).
"""

import glob
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

ATTEMPTS = Counter("hookplatform_attempts", "Delivery attempts, by outcome.", ["outcome"])
ATTEMPT_SECONDS = Histogram(
    "hookplatform_attempt_duration_seconds", "Time from request to response (or error) of an attempt.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)
OUTCOMES = ("succeeded", "http_error", "network_error")
for _outcome in OUTCOMES:  # every series exists from the first scrape, at 0
    ATTEMPTS.labels(_outcome)


def outcome_label(outcome):
    if outcome.succeeded:
        return "succeeded"
    return "http_error" if outcome.status is not None else "network_error"


def observe(outcomes):
    """Count the attempts of a batch; ``outcomes`` are ``(request, outcome)`` pairs."""
    for _, outcome in outcomes:
        ATTEMPTS.labels(outcome_label(outcome)).inc()
        ATTEMPT_SECONDS.observe(outcome.duration_ms / 1000)


class DatabaseCollector:
    """Gauges computed at scrape time from index-backed queries."""

    def collect(self):
        from delivery import selectors

        backlog = selectors.queue_backlog()
        age = backlog.oldest_due_age
        yield _gauge("hookplatform_deliveries_due", "Waiting deliveries whose time has come.", backlog.due)
        yield _gauge("hookplatform_deliveries_due_oldest_age_seconds",
                     "How long the oldest due delivery has waited past its time.",
                     age.total_seconds() if age else 0)
        yield _gauge("hookplatform_events_not_fanned_out", "Published events not yet fanned out.",
                     selectors.events_not_fanned_out())
        yield _gauge("hookplatform_endpoints_disabled", "Endpoints disabled, by hand or automatically.",
                     selectors.endpoint_counts()["disabled"])


def _gauge(name, documentation, value):
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def exposition():
    """The text a scrape gets: every process's counters plus the database gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry.register(_WrittenFiles(os.environ["PROMETHEUS_MULTIPROC_DIR"]))
    else:
        from prometheus_client import REGISTRY

        registry.register(_Forward(REGISTRY))
    registry.register(DatabaseCollector())
    return generate_latest(registry)


class _WrittenFiles:
    """Every process's counters from the multiprocess directory, leaving out empty files.

    A process killed while it created its file (a worker killed with -9) leaves
    a file of 0 bytes, which prometheus_client cannot read: one such file would
    make every later scrape fail.
    """

    def __init__(self, path):
        self.path = path

    def collect(self):
        from prometheus_client.multiprocess import MultiProcessCollector

        files = [f for f in glob.glob(os.path.join(self.path, "*.db")) if os.path.getsize(f) > 0]
        return MultiProcessCollector.merge(files, accumulate=True)


class _Forward:
    """This process's own metrics, when there is no multiprocess directory to read."""

    def __init__(self, source):
        self.source = source

    def collect(self):
        return self.source.collect()
