"""The console adds a polling endpoint (no URL) and shows its kind, fixed, on the endpoint's page."""

from django.urls import reverse

from subscriptions.models import Endpoint

ADD = "admin:hookplatform_subscriptions_endpoint_add"


def test_a_polling_endpoint_is_added_without_url(admin_client, history):
    tenant = history["good"].tenant_id
    refused = admin_client.post(reverse(ADD), {"tenant": tenant, "kind": "polling", "url": "https://x.example.com/h",
                                               "event_types": "[]", "metadata": "{}"})
    assert refused.status_code == 200 and b"A polling endpoint has no URL" in refused.content
    refused = admin_client.post(reverse(ADD), {"tenant": tenant, "kind": "http", "url": "",
                                               "event_types": "[]", "metadata": "{}"})
    assert refused.status_code == 200 and b"An http endpoint needs a url" in refused.content

    added = admin_client.post(reverse(ADD), {"tenant": tenant, "kind": "polling", "url": "",
                                             "event_types": "[]", "metadata": "{}", "description": "no public URL"})
    assert added.status_code == 302
    created = Endpoint.objects.get(description="no public URL")
    assert created.kind == "polling" and created.url == ""

    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[created.pk])
    page = admin_client.get(change).content.decode()
    assert "Polling (pulled by its consumer)" in page and 'name="kind"' not in page  # shown, not editable
    admin_client.post(change, {"kind": "http", "url": "", "event_types": "[]", "metadata": "{}",
                               "description": "still polling"})
    created.refresh_from_db()
    assert created.kind == "polling" and created.description == "still polling"
    listing = admin_client.get(reverse("admin:hookplatform_subscriptions_endpoint_changelist")).content.decode()
    assert "Polling (pulled by its consumer)" in listing
