"""A span exporter for tests, reached the way a production one is: by its name in ``OTEL_TRACES_EXPORTER``.

``exporter_distribution(directory)`` writes a distribution's metadata there
that registers ``jsonlines`` in the SDK's exporter entry points; a worker
with that directory on its path and ``OTEL_TRACES_EXPORTER=jsonlines`` then
appends every span it ends, as one JSON line, to ``TEST_OTEL_SPANS_FILE``.
"""

import json
import os
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class JsonLinesExporter(InMemorySpanExporter):
    """The SDK's in-memory exporter that also appends each span to a file the test process reads."""

    def export(self, spans):
        with open(os.environ["TEST_OTEL_SPANS_FILE"], "a") as out:  # one write per line: O_APPEND keeps lines whole
            for span in spans:
                out.write(json.dumps(json.loads(span.to_json(indent=None))) + "\n")
        return super().export(spans)


def exporter_distribution(directory):
    info = Path(directory) / "hookplatform_test_exporter-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hookplatform-test-exporter\nVersion: 0\n")
    (info / "entry_points.txt").write_text(
        "[opentelemetry_traces_exporter]\njsonlines = tests.tracing.exporter:JsonLinesExporter\n")
    return directory


def read_spans(path):
    """The spans written so far, by name: ``{name: [span dict, ...]}``."""
    spans = {}
    if Path(path).exists():
        for line in Path(path).read_text().splitlines():
            span = json.loads(line)
            spans.setdefault(span["name"], []).append(span)
    return spans
