"""``record_outcomes``: the state machine, endpoint health and the signals a host hears."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import publish, signals, states
from delivery.models import Attempt, Delivery
from delivery.recording import record_outcomes
from delivery.sending import deliver_batch
from subscriptions import create_endpoint, enable_endpoint
from subscriptions.models import Endpoint
from tests.delivery.conftest import answer, request_for

pytestmark = pytest.mark.django_db
Status = Delivery.Status


@pytest.fixture(autouse=True)
def short_schedule(settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = "10,20"
    settings.WEBHOOKS_RETRY_JITTER = 0


@pytest.fixture
def heard():
    """Every signal the platform sends during the test, in order."""
    log = []

    def listener(name):
        def receive(sender, **kwargs):
            log.append((name, kwargs))
        return receive

    receivers = {signal: listener(name) for name, signal in (
        ("succeeded", signals.delivery_succeeded), ("exhausted", signals.delivery_exhausted),
        ("disabled", signals.endpoint_disabled))}
    for signal, receive in receivers.items():
        signal.connect(receive)
    yield log
    for signal, receive in receivers.items():
        signal.disconnect(receive)


def attempt(delivery, outcome, trigger="scheduled"):
    """Claim ``delivery``, record ``outcome`` for it; return it fresh from the database."""
    ids, token = states.claim_one(delivery.pk)
    [held] = states.start(ids, token)
    record_outcomes([held], [(request_for(held), outcome)], token, trigger)
    delivery.refresh_from_db()
    return delivery


def test_success(make_delivery, endpoint, heard):
    delivery = attempt(make_delivery(), answer(204))
    assert delivery.status == Status.SUCCEEDED and delivery.attempt_count == 1
    assert delivery.finished_at and delivery.next_attempt_at is None and delivery.last_response_status == 204
    assert [name for name, _ in heard] == ["succeeded"]
    assert heard[0][1]["delivery"].pk == delivery.pk
    assert heard[0][1]["attempt"].response_status == 204
    endpoint.refresh_from_db()
    assert endpoint.last_success_at and endpoint.failing_since is None


def test_failures_follow_the_schedule_then_exhaust_once(make_delivery, heard):
    delivery = make_delivery()
    before = timezone.now()
    delivery = attempt(delivery, answer(500))
    assert delivery.status == Status.RETRYING and delivery.attempt_count == 1
    assert delivery.last_error == "HTTP 500" and delivery.finished_at is None
    assert 9 <= (delivery.next_attempt_at - before).total_seconds() <= 11
    delivery = attempt(delivery, answer(error="ConnectionError"))
    assert delivery.status == Status.RETRYING and delivery.last_error == "ConnectionError happened"
    assert 19 <= (delivery.next_attempt_at - before).total_seconds() <= 21
    assert heard == []
    delivery = attempt(delivery, answer(503))
    assert delivery.status == Status.FAILED and delivery.attempt_count == 3
    assert delivery.next_attempt_at is None and delivery.finished_at
    assert [(name, kw["delivery"].pk) for name, kw in heard] == [("exhausted", delivery.pk)]
    assert Attempt.objects.filter(delivery=delivery).count() == 3


def test_retry_after_is_honoured_on_429_and_503_only(make_delivery):
    before = timezone.now()
    delivery = attempt(make_delivery(), answer(429, headers={"Retry-After": "3"}))
    assert (delivery.next_attempt_at - before).total_seconds() < 5
    delivery = attempt(delivery, answer(500, headers={"Retry-After": "3"}))
    assert (delivery.next_attempt_at - before).total_seconds() > 15


@pytest.mark.parametrize("status", [301, 302, 400, 404, 413])
def test_every_non_2xx_is_a_failure(make_delivery, status):
    assert attempt(make_delivery(), answer(status)).status == Status.RETRYING


def test_manual_attempts_do_not_signal_exhaustion(make_delivery, heard):
    delivery = make_delivery(Status.FAILED, attempt_count=3)
    delivery = attempt(delivery, answer(500), trigger="manual")
    assert delivery.status == Status.FAILED and delivery.attempt_count == 4
    assert heard == []
    assert Attempt.objects.get(delivery=delivery).trigger == "manual"


def test_410_gone_disables_the_endpoint_with_a_reason(make_delivery, endpoint, heard,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # endpoint_disabled fires on commit
        attempt(make_delivery(), answer(410))
    endpoint.refresh_from_db()
    assert endpoint.disabled and "410" in endpoint.disabled_reason and endpoint.disabled_at
    assert [(n, kw["endpoint"].pk, kw["reason"]) for n, kw in heard] == [
        ("disabled", endpoint.pk, endpoint.disabled_reason)]


def test_long_failure_streak_disables_and_keeps_pending_deliveries(make_delivery, endpoint, settings, heard,
                                                                   django_capture_on_commit_callbacks):
    settings.WEBHOOKS_DISABLE_AFTER = 3600
    delivery = attempt(make_delivery(), answer(500))
    endpoint.refresh_from_db()
    assert endpoint.failing_since and not endpoint.disabled
    # An hour of failures and a newer waiting delivery later:
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(seconds=3601))
    newer = publish("invoice.paid", {"n": 2}, tenant="org_42")
    Delivery.objects.create(event=newer, endpoint=endpoint, tenant_id=endpoint.tenant_id,
                            status=Status.PENDING, next_attempt_at=timezone.now() + timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=True):  # endpoint_disabled fires on commit
        delivery = attempt(delivery, answer(500))

    endpoint.refresh_from_db()
    assert endpoint.disabled and "Every attempt has failed since" in endpoint.disabled_reason
    assert [n for n, _ in heard] == ["disabled"]
    kept = Delivery.objects.filter(endpoint=endpoint)
    assert {d.status for d in kept} == {Status.RETRYING, Status.PENDING}  # kept, not thrown away
    assert {d.next_attempt_at for d in kept} == {None}  # parked
    assert states.claim_due(10, timezone.now() + timedelta(days=1))[0] == []

    enable_endpoint(endpoint)
    endpoint.refresh_from_db()
    assert not endpoint.disabled and endpoint.failing_since is None and endpoint.disabled_reason == ""
    ids, _ = states.claim_due(10)
    assert sorted(ids) == sorted(d.pk for d in kept)


def test_a_success_ends_the_failure_streak(make_delivery, endpoint, settings):
    settings.WEBHOOKS_DISABLE_AFTER = 3600
    delivery = attempt(make_delivery(), answer(500))
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(seconds=3000))
    attempt(delivery, answer(200))
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and not endpoint.disabled


def test_attempt_log_redacts_credentials(make_delivery, endpoint):
    delivery = make_delivery()
    ids, token = states.claim_one(delivery.pk)
    [held] = states.start(ids, token)
    request = request_for(held)
    request.url = "http://alice:s3cr3t@127.0.0.1:9/hook"
    request.headers.update({"Authorization": "Bearer tok", "X-Api-Key": "k", "webhook-signature": "v1,abc",
                            "X-Plain": "visible"})
    record_outcomes([held], [(request, answer(200))], token)
    logged = Attempt.objects.get(delivery=delivery)
    assert logged.request_url == "http://alice:<redacted>@127.0.0.1:9/hook"
    assert logged.request_headers["Authorization"] == "<redacted>"
    assert logged.request_headers["X-Api-Key"] == "<redacted>"
    assert logged.request_headers["webhook-signature"] == "<redacted>"
    # Custom header values are kept encrypted at rest (M9): the log names them, shows no value.
    assert logged.request_headers["X-Plain"] == "<redacted>"
    assert logged.request_headers["webhook-id"] == delivery.event_id


def test_deliver_batch_sends_signs_and_signals(invoice_paid, receiver, heard, django_capture_on_commit_callbacks):
    """In-process, against a real receiver: the whole send path and its signals."""
    from delivery.fanout import fan_out_for_sending
    from subscriptions import reveal_secret
    from subscriptions.models import EndpointSecret

    ok = create_endpoint("org_42", url=receiver.url("/ok"))
    gone = create_endpoint("org_42", url=receiver.url("/gone"))
    receiver.answer("/gone", 410)
    event = publish("invoice.paid", {"n": 1}, tenant="org_42")
    rows, token, _ = fan_out_for_sending(event.id, send_now=0)  # queued, as the dispatcher's batches are
    with django_capture_on_commit_callbacks(execute=True):  # endpoint_disabled fires on commit
        assert deliver_batch([row.pk for row in rows], token) == 2

    from standardwebhooks.webhooks import Webhook
    [got] = receiver.to("/ok")
    assert Webhook(reveal_secret(ok)).verify(got.body, got.headers)["data"] == {"n": 1}
    assert Delivery.objects.get(endpoint=ok).status == Status.SUCCEEDED
    assert Delivery.objects.get(endpoint=gone).status == Status.RETRYING
    assert sorted(n for n, _ in heard) == ["disabled", "succeeded"]
    assert EndpointSecret.objects.filter(endpoint=gone).exists()
