"""Payload formats with a real worker and receiver: a CloudEvents endpoint's bodies parse with the
``cloudevents`` SDK and verify with ``standardwebhooks``; the same bytes on every attempt and resend."""

import json

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from standardwebhooks.webhooks import Webhook

from delivery import publish
from delivery.models import Delivery
from delivery.operations import retry_delivery, send_test_event
from subscriptions import create_endpoint, ensure_event_type, reveal_secret
from tests.worker import wait_until

pytestmark = pytest.mark.e2e


def cloud_event(request):
    """The receiver's request as the CloudEvents SDK reads it (structured mode, from the content type)."""
    return from_http(HTTPMessage(headers=dict(request.headers), body=request.body), JSONFormat())


def test_cloudevents_bodies_parse_verify_and_repeat_byte_for_byte(live_worker, receiver):
    ensure_event_type("invoice.paid")
    cloud = create_endpoint("org_1", url=receiver.url("/cloud"), payload_format="cloudevents")
    create_endpoint("org_1", url=receiver.url("/plain"))
    receiver.answer("/cloud", 500, 200)  # a retry: the second attempt must send the same bytes

    event = publish("invoice.paid", {"invoice_id": "in_1", "amount": 4200, "note": "café"}, tenant="org_1")

    first, second = receiver.wait_for(2, "/cloud")
    [standard] = receiver.wait_for(1, "/plain")
    assert first.body == second.body
    assert first.headers["content-type"] == "application/cloudevents+json"
    parsed = cloud_event(first)
    assert parsed.get_specversion() == "1.0" and parsed.get_id() == event.id == first.headers["webhook-id"]
    assert parsed.get_source() == "/hookplatform" and parsed.get_type() == "invoice.paid"
    assert parsed.get_datacontenttype() == "application/json"
    assert parsed.get_data() == {"invoice_id": "in_1", "amount": 4200, "note": "café"}
    own = json.loads(standard.body)
    assert parsed.get_time().isoformat().replace("+00:00", "Z") == own["timestamp"]  # the event's own time
    assert set(json.loads(first.body)) == {"specversion", "id", "source", "type", "time", "datacontenttype", "data"}
    for request in (first, second):  # still Standard Webhooks signed, over the CloudEvents bytes
        assert Webhook(reveal_secret(cloud)).verify(request.body, request.headers)["id"] == event.id
    assert standard.headers["content-type"] == "application/json" and own["data"]["amount"] == 4200

    delivery = wait_until(lambda: Delivery.objects.filter(endpoint=cloud, status="succeeded").first())
    retry_delivery(delivery)  # a resend by hand: the same bytes again
    resent = receiver.wait_for(3, "/cloud")[2]
    assert resent.body == first.body and resent.headers["webhook-id"] == event.id
    Webhook(reveal_secret(cloud)).verify(resent.body, resent.headers)


def test_a_test_event_takes_the_endpoint_format_and_the_source_setting(live_worker, receiver, settings):
    ensure_event_type("invoice.paid")
    cloud = create_endpoint("org_1", url=receiver.url("/cloud"), payload_format="cloudevents")
    # Made here, where the test event is created, not in the worker (whose setting is the default).
    settings.WEBHOOKS_CLOUDEVENTS_SOURCE = "https://shop.example.com/billing"

    event = send_test_event(cloud, "invoice.paid", {"n": 1})

    [got] = receiver.wait_for(1, "/cloud")
    parsed = cloud_event(got)
    assert parsed.get_id() == event.id and parsed.get_data() == {"n": 1}
    assert parsed.get_source() == "https://shop.example.com/billing"
    Webhook(reveal_secret(cloud)).verify(got.body, got.headers)
