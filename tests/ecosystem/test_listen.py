"""``webhooks_listen``: a local receiver that verifies signatures, fed by a real worker."""

import json
import re
import threading
import time

import pytest
import requests

from delivery import publish
from delivery.management.commands.webhooks_listen import Listener
from delivery.signing import sign
from subscriptions import ensure_event_type
from subscriptions.models import Endpoint
from subscriptions.secrets import generate_secret

pytestmark = pytest.mark.e2e


def test_listen_registers_itself_and_verifies_a_real_delivery(live_worker, spawn):
    ensure_event_type("invoice.paid")
    listener = spawn("manage.py", "webhooks_listen", "--port", "0", "--tenant", "org_listen", "--register",
                     name="listen")
    listener.wait_for_output("listening on")
    secret = re.search(r"secret: (whsec_\S+)", listener.output()).group(1)
    endpoint = Endpoint.objects.get(tenant__uid="org_listen")
    assert endpoint.url.startswith("http://127.0.0.1:")

    event = publish("invoice.paid", {"invoice_id": "in_7", "amount": 700}, tenant="org_listen")

    listener.wait_for_output(f"webhook-id: {event.id}")
    out = listener.output()
    assert "[verified]" in out and "INVALID" not in out
    assert '"invoice_id": "in_7"' in out  # pretty-printed body
    assert secret.startswith("whsec_")


def test_listen_reuses_its_endpoint_on_the_next_run(live_worker, spawn):
    first = spawn("manage.py", "webhooks_listen", "--port", "0", "--tenant", "org_again", "--register",
                  name="listen1")
    first.wait_for_output("listening on")
    port = re.search(r"listening on http://127.0.0.1:(\d+)/", first.output()).group(1)
    first.stop()
    second = spawn("manage.py", "webhooks_listen", "--port", port, "--tenant", "org_again", "--register",
                   name="listen2")
    second.wait_for_output("listening on")
    assert Endpoint.objects.filter(tenant__uid="org_again").count() == 1
    secret = lambda proc: re.search(r"secret: (\S+)", proc.output()).group(1)  # noqa: E731
    assert secret(first) == secret(second)


def _post(listener, secret, body=b'{"type":"t","timestamp":"x","data":{}}', msg_id="msg_1"):
    timestamp = str(int(time.time()))
    headers = {"webhook-id": msg_id, "webhook-timestamp": timestamp,
               "webhook-signature": sign(secret, msg_id, timestamp, body), "content-type": "application/json"}
    return requests.post(f"http://127.0.0.1:{listener.port}/", data=body, headers=headers, timeout=5)


@pytest.fixture
def listener():
    printed = []
    server = Listener(0, generate_secret(), 200, printed.append)
    server.printed = printed
    threading.Thread(target=server.server.serve_forever, daemon=True).start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_a_wrong_signature_is_refused_and_shown(listener):
    response = _post(listener, generate_secret())
    assert response.status_code == 400
    assert "INVALID SIGNATURE: no matching signature" in listener.printed[-1]


def test_a_good_signature_gets_the_chosen_status(listener):
    listener.status = 503
    body = json.dumps({"type": "invoice.paid", "timestamp": "2026-01-01T00:00:00Z", "data": {"n": 1}}).encode()
    response = _post(listener, listener.secret, body=body)
    assert response.status_code == 503
    assert "[verified]" in listener.printed[-1] and '"n": 1' in listener.printed[-1]


def test_register_without_private_networks_explains_itself(db, settings, capsys):
    from django.core.management import CommandError, call_command

    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(CommandError, match="WEBHOOKS_ALLOW_PRIVATE_NETWORKS"):
        call_command("webhooks_listen", "--port", "0", "--tenant", "org_x", "--register")
