"""An endpoint URL's password never reaches a console page; editing the endpoint keeps it."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from delivery.models import Delivery
from subscriptions import create_endpoint
from subscriptions.models import Endpoint
from tests.admin.conftest import make_delivery, make_event

PASSWORD = "s3cret-pass"


@pytest.fixture
def credentialed(history):
    endpoint = create_endpoint("org_1", url=f"https://hooks:{PASSWORD}@creds.example.com/in")
    event = make_event(endpoint.tenant, 77)
    return endpoint, make_delivery(event, endpoint, "failed", attempts=[False]), event


def test_no_page_shows_the_url_password(admin_client, credentialed):
    endpoint, delivery, event = credentialed
    admin_client.post(reverse("admin:hookplatform_subscriptions_endpoint_act", args=[endpoint.pk, "disable"]),
                      {"confirm": "yes", "reason": "maintenance"})  # leaves a log entry behind
    pages = [reverse("admin:index"), reverse("admin:webhooks_dashboard"),
             reverse("admin:hookplatform_subscriptions_endpoint_changelist"),
             reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk]),
             reverse("admin:hookplatform_subscriptions_endpoint_history", args=[endpoint.pk]),
             reverse("admin:hookplatform_subscriptions_endpoint_act", args=[endpoint.pk, "enable"]),
             reverse("admin:hookplatform_subscriptions_endpoint_secret", args=[endpoint.pk]),
             reverse("admin:hookplatform_delivery_delivery_changelist"),
             reverse("admin:hookplatform_delivery_delivery_change", args=[delivery.pk]),
             reverse("admin:hookplatform_delivery_event_change", args=[event.pk])]
    for url in pages:
        page = admin_client.get(url).content.decode()
        assert "creds.example.com" in page, url  # the page does name the endpoint
        assert PASSWORD not in page, url
    assert PASSWORD not in LogEntry.objects.get(object_id=endpoint.pk).object_repr


def test_saving_the_form_keeps_the_hidden_password(admin_client, credentialed):
    endpoint = credentialed[0]
    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk])
    form = {"event_types": "[]", "metadata": "{}", "description": "renamed"}
    admin_client.post(change, {**form, "url": "https://hooks:<redacted>@creds.example.com/in"})
    endpoint.refresh_from_db()
    assert endpoint.url_to_send() == f"https://hooks:{PASSWORD}@creds.example.com/in"
    assert endpoint.description == "renamed"
    admin_client.post(change, {**form, "url": "https://hooks:<redacted>@creds.example.com/v2"})
    endpoint.refresh_from_db()
    assert endpoint.url_to_send() == f"https://hooks:{PASSWORD}@creds.example.com/v2"
    admin_client.post(change, {**form, "url": "https://new:pw@creds.example.com/v3"})
    assert Endpoint.objects.get(pk=endpoint.pk).url_to_send() == "https://new:pw@creds.example.com/v3"
    assert Delivery.objects.filter(endpoint=endpoint).count() == 1
