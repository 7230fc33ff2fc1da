"""Without opentelemetry installed (its import made to fail in a fresh process), publish and send work as
before: nothing is traced, nothing of it imported, no traceparent anywhere even with the header switched on."""

import json
import os
import subprocess
import sys

import pytest

from subscriptions import create_endpoint, ensure_event_type
from tests import worker
from tests.worker import ROOT, free_port

pytestmark = pytest.mark.e2e

SCRIPT = """
import json, sys

class NoOpenTelemetry:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "opentelemetry":
            raise ImportError(f"No module named {name!r}")

sys.meta_path.insert(0, NoOpenTelemetry())
import django
django.setup()

from delivery import fanout, publish, tracing
from delivery.models import Delivery, Event

event = publish("invoice.paid", {"invoice_id": "in_1"}, tenant="org_1")  # the broker is away: outbox only
fanout.fan_out_and_send(event.id)
print(json.dumps({
    "enabled": tracing.enabled(),
    "decorated": hasattr(publish, "__wrapped__"),
    "imported": sorted(name for name in sys.modules if name.startswith("opentelemetry")),
    "traceparent": Event.objects.get(pk=event.pk).traceparent,
    "status": Delivery.objects.get(event=event).status,
}))
"""


def test_publish_and_send_without_the_sdk(own_workers, receiver):
    ensure_event_type("invoice.paid")
    create_endpoint("org_1", url=receiver.url("/plain"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT),
           "DATABASE_URL": worker.test_database_url(), "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
           "WEBHOOKS_TRACEPARENT_HEADER": "on", "OTEL_TRACES_EXPORTER": "console", "WEBHOOKS_BATCH_PATIENCE": "5"}

    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result == {"enabled": False, "decorated": False, "imported": [], "traceparent": "",
                      "status": "succeeded"}
    (got,) = receiver.wait_for(1, "/plain")
    headers = {k.lower() for k in got.headers}
    assert "webhook-signature" in headers and "traceparent" not in headers
