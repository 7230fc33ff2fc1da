"""An endpoint's own policy on the send path: its retry schedule, the 4xx rule, its timeout's lease,
the fallback URL (sent to real receivers) and a receiver's ``webhook-delivery: disable``."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import oauth2, states
from delivery.endpoint_policy import DISABLE_REASON
from delivery.models import Attempt, Delivery, Event
from delivery.sending import deliver_batch
from subscriptions import create_endpoint, update_endpoint
from tests.delivery.conftest import answer, attempt
from tests.edge_servers import TokenIssuer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("short_schedule")]
Status = Delivery.Status


def test_an_endpoint_schedule_replaces_the_platform_one(make_delivery, endpoint):
    update_endpoint(endpoint, retry_schedule=[100])
    delivery = attempt(make_delivery(), answer(500))
    assert delivery.status == Status.RETRYING
    expected = timezone.now() + timedelta(seconds=100)  # the platform's would be 10 s
    assert abs((delivery.next_attempt_at - expected).total_seconds()) < 5
    assert attempt(delivery, answer(500)).status == Status.FAILED  # two attempts in all, not three


def test_without_retry_on_4xx_a_404_fails_at_once_and_is_exhausted(make_delivery, endpoint, heard):
    update_endpoint(endpoint, retry_on_4xx=False)
    delivery = attempt(make_delivery(), answer(404))
    assert delivery.status == Status.FAILED and delivery.attempt_count == 1 and delivery.finished_at
    assert [name for name, _ in heard] == ["exhausted"]


@pytest.mark.parametrize("status", [429, 408, 503])
def test_without_retry_on_4xx_asked_to_come_back_is_retried(make_delivery, endpoint, status):
    update_endpoint(endpoint, retry_on_4xx=False)
    assert attempt(make_delivery(), answer(status)).status == Status.RETRYING


def test_with_retry_on_4xx_a_404_is_retried_as_before(make_delivery):
    assert attempt(make_delivery(), answer(404)).status == Status.RETRYING


def test_the_lease_of_a_batch_covers_its_slowest_endpoint_and_its_fallback(make_delivery, endpoint, receiver,
                                                                          settings):
    settings.WEBHOOKS_TIMEOUT, settings.WEBHOOKS_LEASE_MARGIN = 15, 30
    update_endpoint(endpoint, timeout=40, fallback_url=receiver.url("/fallback"))
    delivery = make_delivery()
    ids, token = states.claim_one(delivery.pk)
    states.start(ids, token)
    delivery.refresh_from_db()
    expected = timezone.now() + timedelta(seconds=4 * 2 * 40 + 30)
    assert abs((delivery.lease_expires_at - expected).total_seconds()) < 5


def _send(delivery):
    ids, token = states.claim_one(delivery.pk)
    deliver_batch(ids, token)
    delivery.refresh_from_db()
    return delivery, list(Attempt.objects.filter(delivery=delivery).order_by("id"))


def test_a_5xx_goes_on_to_the_fallback_at_once_with_the_same_message(make_delivery, receiver, heard):
    endpoint = create_endpoint("org_42", url=receiver.url("/primary"), fallback_url=receiver.url("/fallback"),
                               headers={"X-Team": "t"})
    receiver.answer("/primary", 503)
    delivery, attempts = _send(make_delivery(to=endpoint))
    primary, fallback = receiver.to("/primary")[0], receiver.to("/fallback")[0]
    assert primary.body == fallback.body and primary.headers["webhook-id"] == fallback.headers["webhook-id"]
    assert primary.headers["webhook-signature"] == fallback.headers["webhook-signature"]
    assert fallback.headers["x-team"] == "t"
    assert delivery.status == Status.SUCCEEDED and delivery.attempt_count == 1
    assert [(a.target, a.response_status, a.succeeded) for a in attempts] == [
        ("url", 503, False), ("fallback_url", 200, True)]
    assert attempts[1].request_url == receiver.url("/fallback")
    assert [(name, kw["attempt"].pk) for name, kw in heard] == [("succeeded", attempts[1].pk)]


def test_no_answer_from_the_url_goes_on_to_the_fallback(make_delivery, receiver):
    endpoint = create_endpoint("org_42", url="http://127.0.0.1:9/closed", fallback_url=receiver.url("/fallback"))
    delivery, attempts = _send(make_delivery(to=endpoint))
    assert delivery.status == Status.SUCCEEDED
    assert [(a.target, a.response_status) for a in attempts] == [("url", None), ("fallback_url", 200)]
    assert attempts[0].error_class


@pytest.mark.parametrize("status", [200, 404, 302])
def test_a_2xx_4xx_or_3xx_from_the_url_does_not_go_to_the_fallback(make_delivery, receiver, status):
    endpoint = create_endpoint("org_42", url=receiver.url("/primary"), fallback_url=receiver.url("/fallback"))
    receiver.answer("/primary", status)
    _, attempts = _send(make_delivery(to=endpoint))
    assert [a.target for a in attempts] == ["url"] and receiver.to("/fallback") == []


def test_when_both_fail_the_schedule_goes_on(make_delivery, receiver):
    endpoint = create_endpoint("org_42", url=receiver.url("/primary"), fallback_url=receiver.url("/fallback"))
    receiver.answer("/primary", 500)
    receiver.answer("/fallback", 502)
    delivery, attempts = _send(make_delivery(to=endpoint))
    assert delivery.status == Status.RETRYING and delivery.attempt_count == 1
    assert delivery.last_response_status == 502
    assert [(a.target, a.response_status) for a in attempts] == [("url", 500), ("fallback_url", 502)]


def test_the_fallback_is_checked_again_at_send(make_delivery, receiver, settings):
    """Saved while private targets were allowed; at send they are not: refused, nothing reaches it."""
    endpoint = create_endpoint("org_42", url=receiver.url("/primary"), fallback_url=receiver.url("/fallback"))
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    delivery, attempts = _send(make_delivery(to=endpoint))
    assert receiver.requests == [] and delivery.status == Status.RETRYING
    assert [a.target for a in attempts] == ["url", "fallback_url"]
    assert all(a.response_status is None and a.error_class for a in attempts)


def test_a_receiver_asking_to_be_disabled_is_disabled(make_delivery, receiver, heard, settings, caplog,
                                                      django_capture_on_commit_callbacks):
    """As the automatic disabling: a reason, the signal, a warning and the operational event."""
    settings.WEBHOOKS_OPERATIONAL_TENANT = "ops"
    endpoint = create_endpoint("org_42", url=receiver.url("/primary"))
    receiver.extra_headers["/primary"] = {"Webhook-Delivery": "Disable"}
    with django_capture_on_commit_callbacks(execute=True):
        delivery, _ = _send(make_delivery(to=endpoint))
    endpoint.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED  # the answer still counts for this delivery
    assert endpoint.disabled and endpoint.disabled_reason == DISABLE_REASON
    assert [(name, kw.get("reason")) for name, kw in heard] == [("succeeded", None), ("disabled", DISABLE_REASON)]
    assert [r.endpoint_id for r in caplog.records if r.msg == "the receiver asked to disable its endpoint"] == [
        endpoint.pk]
    [operational] = Event.objects.filter(event_type="endpoint.disabled", tenant__uid="ops")
    assert json.loads(operational.body)["data"]["reason"] == DISABLE_REASON


def test_the_fallback_may_ask_to_be_disabled_too(make_delivery, receiver):
    endpoint = create_endpoint("org_42", url=receiver.url("/primary"), fallback_url=receiver.url("/fallback"))
    receiver.answer("/primary", 500)
    receiver.extra_headers["/fallback"] = {"webhook-delivery": "disable"}
    _send(make_delivery(to=endpoint))
    endpoint.refresh_from_db()
    assert endpoint.disabled and endpoint.disabled_reason == DISABLE_REASON


def test_other_values_of_the_header_change_nothing(make_delivery, receiver):
    endpoint = create_endpoint("org_42", url=receiver.url("/primary"))
    receiver.extra_headers["/primary"] = {"webhook-delivery": "pause"}
    _send(make_delivery(to=endpoint))
    endpoint.refresh_from_db()
    assert not endpoint.disabled


def test_the_fallback_gets_the_message_but_not_the_urls_bearer_token(make_delivery, receiver):
    issuer = TokenIssuer(expires_in=120)
    issuer.server.start()
    oauth2.clear_cache()
    try:
        endpoint = create_endpoint("org_42", url=receiver.url("/primary"), fallback_url=receiver.url("/fallback"),
                                   oauth2={"token_url": issuer.server.url("/token"), "client_id": issuer.client_id,
                                           "client_secret": issuer.client_secret})
        receiver.answer("/primary", 503)
        delivery, attempts = _send(make_delivery(to=endpoint))
    finally:
        issuer.server.stop()
        oauth2.clear_cache()
    primary, fallback = receiver.to("/primary")[0], receiver.to("/fallback")[0]
    assert primary.headers["authorization"].startswith("Bearer ")
    assert "authorization" not in fallback.headers
    assert fallback.body == primary.body
    assert fallback.headers["webhook-signature"] == primary.headers["webhook-signature"]
    assert delivery.status == Status.SUCCEEDED
    assert [a.target for a in attempts] == ["url", "fallback_url"]
