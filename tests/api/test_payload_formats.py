"""The endpoint's ``payload_format`` over the API, in Python and in the admin; the CloudEvents body itself."""

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from delivery.wire import delivery_bodies, render_body
from subscriptions import create_endpoint, update_endpoint
from subscriptions.models import Endpoint

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tenants/acme/endpoints/"
URL = "https://127.0.0.1:8443/hooks"


def test_the_format_is_standard_unless_chosen(platform, acme):
    plain = platform.post(BASE, {"url": URL}, format="json").json()
    assert plain["payload_format"] == "standard"
    cloud = platform.post(BASE, {"url": URL, "payload_format": "cloudevents"}, format="json")
    assert cloud.status_code == 201 and cloud.json()["payload_format"] == "cloudevents"
    back = platform.patch(f"{BASE}{cloud.json()['id']}/", {"payload_format": "standard"}, format="json")
    assert back.status_code == 200 and back.json()["payload_format"] == "standard"


@pytest.mark.parametrize("bad", ["CloudEvents", "xml", "", None, 1, ["cloudevents"]])
def test_a_bad_format_answers_400_naming_the_field(platform, acme, bad):
    response = platform.post(BASE, {"url": URL, "payload_format": bad}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["payload_format"], response.json()
    assert not Endpoint.objects.exists()


def test_python_functions_validate_the_format(acme):
    with pytest.raises(ValidationError) as refused:
        create_endpoint("acme", url=URL, payload_format="cloud")
    assert "payload_format is one of standard, cloudevents" in refused.value.message_dict["payload_format"][0]
    endpoint = create_endpoint("acme", url=URL)
    with pytest.raises(ValidationError):
        update_endpoint(endpoint, payload_format=["cloudevents"])
    assert update_endpoint(endpoint, payload_format="cloudevents").payload_format == "cloudevents"


def test_the_admin_form_offers_and_saves_the_format(admin_client, acme):
    endpoint = create_endpoint("acme", url="https://hooks.example.com/in")
    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk])
    assert b"CloudEvents 1.0 (structured JSON)" in admin_client.get(change).content
    form = {"url": "https://hooks.example.com/in", "event_types": "[]", "metadata": "{}"}
    assert admin_client.post(change, form | {"payload_format": "cloudevents"}).status_code == 302
    assert Endpoint.objects.get(pk=endpoint.pk).payload_format == "cloudevents"
    refused = admin_client.post(change, form | {"payload_format": "xml"})
    assert refused.status_code == 200 and Endpoint.objects.get(pk=endpoint.pk).payload_format == "cloudevents"


def test_the_cloudevents_body_is_made_from_the_events_own(settings, acme):
    settings.WEBHOOKS_CLOUDEVENTS_SOURCE = "https://shop.example.com"
    own = render_body("invoice.paid", {"amount": 1, "note": "ü"}, datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    endpoint = create_endpoint("acme", url=URL, payload_format="cloudevents")
    [(body, content_type, body_error)] = delivery_bodies([(endpoint, "msg_1", json.loads(own))])
    assert content_type == "application/cloudevents+json" and body_error == ""
    assert body == ('{"specversion":"1.0","id":"msg_1","source":"https://shop.example.com","type":"invoice.paid",'
                    '"time":"2026-12-04T09:00:00.000000Z","datacontenttype":"application/json",'
                    '"data":{"amount":1,"note":"ü"}}')
    assert delivery_bodies([(create_endpoint("acme", url=URL), "msg_1", json.loads(own))]) == [(None, "", "")]
