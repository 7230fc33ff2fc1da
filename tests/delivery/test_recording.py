"""Recording (``record_outcomes``): the attempt log, each delivery's next state and the signals a host hears."""

import pytest
from django.utils import timezone

from delivery import states
from delivery.models import Attempt, Delivery
from delivery.recording import record_outcomes
from tests.delivery.conftest import answer, attempt, request_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("short_schedule")]
Status = Delivery.Status


def test_success(make_delivery, endpoint, heard):
    delivery = attempt(make_delivery(), answer(204))
    assert delivery.status == Status.SUCCEEDED and delivery.attempt_count == 1
    assert delivery.finished_at and delivery.next_attempt_at is None and delivery.last_response_status == 204
    assert [name for name, _ in heard] == ["succeeded"]
    assert heard[0][1]["delivery"].pk == delivery.pk
    assert heard[0][1]["attempt"].response_status == 204
    endpoint.refresh_from_db()
    assert endpoint.send_state.last_success_at and endpoint.send_state.failing_since is None


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
