"""Body templates with a real worker and receivers: a template endpoint gets the rendered body; a hostile
template (internals, endless loops, huge output, a memory bomb) fails its own delivery with a clear error in
its attempt log, and every other delivery of the same events goes out as usual."""

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook

from delivery import publish
from delivery.models import Attempt, Delivery
from delivery.operations import retry_delivery
from subscriptions import create_endpoint, ensure_event_type, reveal_secret
from subscriptions.models import Endpoint
from tests.worker import wait_until

pytestmark = pytest.mark.e2e

SLACK = '{"text": {{ ("Invoice " ~ data.invoice_id ~ " paid: " ~ data.amount) | tojson }}, "event": {{ id | tojson }}}'
# Each passes the check when saved (harmless on the sample event) and turns hostile on the event's data.
HOSTILE = {
    "/internals": ("{% if data.evil %}{{ data.__class__.__mro__ }}{% endif %}{}", "may not use"),
    "/loop": ("{% for a in range(data.n or 0) %}{% for b in range(data.n) %}{% endfor %}{% endfor %}{}", "longer than"),
    "/huge": ("{% for a in range(data.n or 0) %}{{ 'y' * 1000 }}{% endfor %}", "over 65536 bytes"),
}
BOMB = "{{ 'x' * 10000000000 }}"  # written around the check, as a raw UPDATE would


def test_template_endpoints_get_rendered_bodies_and_hostile_ones_fail_alone(own_workers, receiver, settings):
    settings.WEBHOOKS_BODY_TEMPLATES = True
    own_workers(extra_env={"WEBHOOKS_BODY_TEMPLATES": "1"})
    ensure_event_type("invoice.paid")
    slack = create_endpoint("org_1", url=receiver.url("/slack"), body_template=SLACK)
    create_endpoint("org_1", url=receiver.url("/text"), body_template="Paid: {{ data.amount }}",
                           content_type="text/plain; charset=utf-8")
    create_endpoint("org_1", url=receiver.url("/plain"))
    hostile = {path: create_endpoint("org_1", url=receiver.url(path), body_template=source)
               for path, (source, _) in HOSTILE.items()}
    bomb = create_endpoint("org_1", url=receiver.url("/bomb"), body_template="{}")
    Endpoint.objects.filter(pk=bomb.pk).update(body_template=BOMB)

    events = [publish("invoice.paid", {"invoice_id": f"in_{n}", "amount": 100 * n, "evil": True, "n": 100000},
                      tenant="org_1") for n in (1, 2)]

    got = receiver.wait_for(2, "/slack")
    assert sorted(json.loads(r.body)["text"] for r in got) == ["Invoice in_1 paid: 100", "Invoice in_2 paid: 200"]
    for request in got:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.body)["event"] == request.headers["webhook-id"]
        Webhook(reveal_secret(slack)).verify(request.body, request.headers)  # signed over the rendered bytes
    texts = receiver.wait_for(2, "/text")
    assert sorted(r.body for r in texts) == [b"Paid: 100", b"Paid: 200"]
    assert texts[0].headers["content-type"] == "text/plain; charset=utf-8"
    assert len(receiver.wait_for(2, "/plain")) == 2
    for endpoint, says in [(hostile[path], says) for path, (_, says) in HOSTILE.items()] + [(bomb, "stopped")]:
        failed = wait_until(lambda endpoint=endpoint: Delivery.objects.filter(endpoint=endpoint, status="failed")
                            .count() == 2 and list(Delivery.objects.filter(endpoint=endpoint)))
        assert all(says in d.last_error for d in failed), (endpoint.url, failed[0].last_error)
        [attempt] = Attempt.objects.filter(delivery=failed[0])  # failed for good at once: no retries
        assert attempt.error_class == "BodyError" and says in attempt.error_message
    time.sleep(1.5)
    for path in [*HOSTILE, "/bomb"]:
        assert receiver.to(path) == []  # nothing was ever sent to them
    assert Delivery.objects.filter(event__in=events, status="succeeded").count() == 6

    # Attempts and resends send the bytes made at fan-out, even after the template changed.
    delivery = Delivery.objects.get(endpoint=slack, event=events[0])
    Endpoint.objects.filter(pk=slack.pk).update(body_template='{"changed": true}')
    retry_delivery(delivery)
    resent = receiver.wait_for(3, "/slack")[2]
    assert resent.body == next(r.body for r in got if r.headers["webhook-id"] == events[0].id)
