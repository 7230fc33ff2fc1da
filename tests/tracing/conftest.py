"""Tracing fixtures: this process's spans in the SDK's in-memory exporter, a worker's in a file."""

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.tracing.exporter import exporter_distribution
from tests.worker import WorkerProcess

_exporter = InMemorySpanExporter()


@pytest.fixture
def spans():
    """The spans this process ends during the test (a process has one tracer provider: set once)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        trace.set_tracer_provider(provider)
    _exporter.clear()
    yield _exporter
    _exporter.clear()


class TracedWorker(WorkerProcess):
    """A real worker configured by OTEL_* alone, its exporter found by name like any installed one."""

    def __init__(self, spans_file, entry_points_dir, extra_env=None):
        super().__init__(extra_env={"OTEL_TRACES_EXPORTER": "jsonlines", "OTEL_SERVICE_NAME": "webhooks-worker",
                                    "OTEL_BSP_SCHEDULE_DELAY": "100", "TEST_OTEL_SPANS_FILE": str(spans_file),
                                    **(extra_env or {})})
        self.entry_points_dir = entry_points_dir

    def env(self):
        env = super().env()
        env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{self.entry_points_dir}"
        return env


@pytest.fixture
def traced_worker(own_workers, tmp_path, spans):
    """Start a traced worker (``extra_env`` on top); returns ``(worker, spans file)``."""
    started = []

    def start(**extra_env):
        spans_file = tmp_path / f"worker-spans-{len(started)}.jsonl"
        worker = TracedWorker(spans_file, exporter_distribution(tmp_path / "entry-points"), extra_env).start()
        started.append(worker)
        return worker, spans_file

    yield start
    for worker in started:
        worker.kill()
        worker.close()
