"""Sending: a claimed batch goes out signed, and its outcomes are recorded."""

import pytest

from delivery import publish
from delivery.models import Delivery
from delivery.sending import deliver_batch
from subscriptions import create_endpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("short_schedule")]
Status = Delivery.Status


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
