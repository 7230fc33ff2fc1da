"""A process sets up the SDK from OTEL_* at its first span, unless the host set a tracer provider first."""

import os
import subprocess
import sys

from tests.worker import ROOT

SCRIPT = """
import sys
import django
django.setup()
from opentelemetry import trace
if sys.argv[1] == "host":
    from opentelemetry.sdk.trace import TracerProvider
    trace.set_tracer_provider(TracerProvider())  # the host's own, without exporters
from delivery import tracing
with tracing._tracer().start_as_current_span("probe"):
    pass
getattr(trace.get_tracer_provider(), "force_flush", lambda: None)()
print("provider:", type(trace.get_tracer_provider()).__name__)
"""


def _run(who, **env):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run([sys.executable, "-c", SCRIPT, who], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_exporter_and_service_named_by_otel_variables():
    out = _run("none", OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="shop-webhooks")
    assert '"name": "probe"' in out and '"service.name": "shop-webhooks"' in out


def test_the_host_provider_wins_and_no_exporter_means_no_set_up():
    assert '"name": "probe"' not in _run("host", OTEL_TRACES_EXPORTER="console")
    assert "provider: ProxyTracerProvider" in _run("none", OTEL_TRACES_EXPORTER="")
    assert "provider: ProxyTracerProvider" in _run("none", OTEL_TRACES_EXPORTER="console", OTEL_SDK_DISABLED="true")
