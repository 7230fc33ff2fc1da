"""An endpoint's own policy through a real worker and real receivers: Svix headers checked by the ``svix``
package's own verifier, its retry schedule and 4xx rule, its timeout, its fallback URL, and a receiver
that asks to be disabled."""

import json
import re
import time

import pytest
from svix.webhooks import Webhook as SvixWebhook
from svix.webhooks import WebhookVerificationError

from delivery import publish
from delivery.endpoint_policy import DISABLE_REASON
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type, reveal_secret
from subscriptions.models import Endpoint
from tests.worker import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def invoice_paid_live(live_worker):
    return ensure_event_type("invoice.paid")


def _finished(event, status):
    return wait_until(lambda: Delivery.objects.filter(event=event, status=status).first(), what=f"a {status} delivery")


def _attempts(delivery):
    return list(Attempt.objects.filter(delivery=delivery).order_by("id"))


def test_svix_headers_pass_the_svix_package_own_verifier(invoice_paid_live, receiver):
    endpoint = create_endpoint("org_1", url=receiver.url("/svix"), signature_scheme="svix")
    event = publish("invoice.paid", {"invoice_id": "in_1"}, tenant="org_1")

    got = receiver.wait_for(1, "/svix")[0]
    # It reads svix-* (else webhook-*) headers, so the second line says which ones were sent.
    SvixWebhook(reveal_secret(endpoint)).verify(got.body, got.headers)  # raises unless valid
    assert not any(name.startswith("webhook-") for name in got.headers)
    assert json.loads(got.body)["data"] == {"invoice_id": "in_1"} and got.headers["svix-id"] == event.id
    with pytest.raises(WebhookVerificationError):  # the verifier does check: another secret fails it
        SvixWebhook("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(got.body, got.headers)
    attempt = _attempts(_finished(event, "succeeded"))[0]
    assert attempt.request_headers["svix-id"] == event.id and attempt.request_headers["svix-signature"] != \
        got.headers["svix-signature"]  # redacted in the log


def test_an_endpoint_schedule_and_4xx_rule_through_a_worker(invoice_paid_live, receiver):
    create_endpoint("org_1", url=receiver.url("/short"), retry_schedule=[1])
    create_endpoint("org_1", url=receiver.url("/strict"), retry_on_4xx=False)
    create_endpoint("org_1", url=receiver.url("/busy"), retry_on_4xx=False, retry_schedule=[1, 1])
    receiver.answer("/short", 500)
    receiver.answer("/strict", 422)
    receiver.answer("/busy", 429, 429, 200)

    event = publish("invoice.paid", {"n": 1}, tenant="org_1")

    finished = {"/short": "failed", "/strict": "failed", "/busy": "succeeded"}
    wait_until(lambda: all(Delivery.objects.filter(event=event, endpoint__url=receiver.url(path), status=status)
                           .exists() for path, status in finished.items()), what="all three finished")
    time.sleep(1.5)  # the platform's schedule (1,1,1) would have sent more by now
    assert len(receiver.to("/short")) == 2  # its own schedule: one retry
    assert len(receiver.to("/strict")) == 1  # 422 with retry_on_4xx off: failed at once
    assert len(receiver.to("/busy")) == 3  # 429 is retried all the same


def test_an_endpoint_timeout_shorter_and_longer_than_the_platform_one(invoice_paid_live, receiver):
    """The worker's WEBHOOKS_TIMEOUT is 3 s: a 2 s receiver fails under timeout=1, a 4 s one succeeds under 6."""
    create_endpoint("org_1", url=receiver.url("/impatient"), timeout=1, retry_schedule=[])
    create_endpoint("org_1", url=receiver.url("/patient"), timeout=6, retry_schedule=[])
    receiver.delays.update({"/impatient": 2, "/patient": 4})

    event = publish("invoice.paid", {"n": 1}, tenant="org_1")

    impatient = wait_until(lambda: Delivery.objects.filter(event=event, endpoint__url=receiver.url("/impatient"),
                                                           status="failed").first(), what="impatient failed")
    assert "within 1 s" in impatient.last_error
    wait_until(lambda: Delivery.objects.filter(event=event, endpoint__url=receiver.url("/patient"),
                                               status="succeeded").exists(), what="patient succeeded")


def test_a_failing_url_falls_back_and_the_delivery_succeeds(invoice_paid_live, live_worker, receiver):
    endpoint = create_endpoint("org_1", url=receiver.url("/primary"), fallback_url=receiver.url("/fallback"))
    receiver.answer("/primary", 503)

    event = publish("invoice.paid", {"n": 1}, tenant="org_1")

    delivery = _finished(event, "succeeded")
    primary, fallback = receiver.wait_for(1, "/primary")[0], receiver.wait_for(1, "/fallback")[0]
    assert primary.body == fallback.body == event.body.encode()
    for got in (primary, fallback):
        assert got.headers["webhook-id"] == event.id
        assert json.loads(got.body)["data"] == {"n": 1}
    assert primary.headers["webhook-signature"] == fallback.headers["webhook-signature"]
    assert [(a.target, a.response_status) for a in _attempts(delivery)] == [("url", 503), ("fallback_url", 200)]
    assert delivery.attempt_count == 1
    assert not Endpoint.objects.get(pk=endpoint.pk).disabled
    line = rf"msg=attempt event_id={event.id} .* response_status=(\d+) .* target=(\w+)"
    assert wait_until(lambda: len(found := re.findall(line, live_worker.output())) == 2 and found) == [
        ("503", "url"), ("200", "fallback_url")]


def test_when_both_fail_the_schedule_goes_on_until_one_answers(invoice_paid_live, receiver):
    create_endpoint("org_1", url=receiver.url("/primary"), fallback_url=receiver.url("/fallback"))
    receiver.answer("/primary", 500, 500, 500)
    receiver.answer("/fallback", 502, 200)

    event = publish("invoice.paid", {"n": 1}, tenant="org_1")

    delivery = _finished(event, "succeeded")
    assert delivery.attempt_count == 2
    assert [(a.target, a.response_status) for a in _attempts(delivery)] == [
        ("url", 500), ("fallback_url", 502), ("url", 500), ("fallback_url", 200)]


def test_a_receiver_asking_to_be_disabled_disables_its_endpoint(invoice_paid_live, receiver):
    endpoint = create_endpoint("org_1", url=receiver.url("/leaving"))
    receiver.answer("/leaving", 400)
    receiver.extra_headers["/leaving"] = {"webhook-delivery": "disable"}

    event = publish("invoice.paid", {"n": 1}, tenant="org_1")

    wait_until(lambda: Endpoint.objects.get(pk=endpoint.pk).disabled, what="endpoint disabled")
    assert Endpoint.objects.get(pk=endpoint.pk).disabled_reason == DISABLE_REASON
    delivery = Delivery.objects.get(event=event)
    time.sleep(1.5)  # the schedule (1,1,1) would have retried by now: its delivery is parked instead
    assert len(receiver.to("/leaving")) == 1
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.next_attempt_at is None
