"""An endpoint's own policy in the console: the form shows and edits it through the domain's validation."""

import pytest
from django.urls import reverse

from subscriptions import create_endpoint
from subscriptions.models import Endpoint

pytestmark = pytest.mark.django_db
ADD = "admin:hookplatform_subscriptions_endpoint_add"
CHANGE = "admin:hookplatform_subscriptions_endpoint_change"


def test_the_policy_is_set_on_add_and_edited_on_change(admin_client):
    tenant_id = create_endpoint("org_1", url="https://127.0.0.1:8443/other").tenant_id
    response = admin_client.post(reverse(ADD), {
        "tenant": tenant_id, "url": "https://127.0.0.1:8443/h", "event_types": "[]", "metadata": "{}",
        "signature_scheme": "svix", "retry_schedule": "[10, 60]", "retry_on_4xx": "", "timeout": "4.5",
        "fallback_url": "https://127.0.0.1:8444/fallback"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    endpoint = Endpoint.objects.get(url="https://127.0.0.1:8443/h")
    assert (endpoint.signature_scheme, endpoint.retry_schedule, endpoint.retry_on_4xx, endpoint.timeout,
            endpoint.fallback_url) == ("svix", [10, 60], False, 4.5, "https://127.0.0.1:8444/fallback")

    page = admin_client.get(reverse(CHANGE, args=[endpoint.pk])).content.decode()
    assert "Delivery policy" in page and "https://127.0.0.1:8444/fallback" in page and "[10, 60]" in page

    admin_client.post(reverse(CHANGE, args=[endpoint.pk]), {
        "url": endpoint.url, "event_types": "[]", "metadata": "{}", "signature_scheme": "standard",
        "retry_schedule": "", "retry_on_4xx": "on", "timeout": "", "fallback_url": ""})
    endpoint.refresh_from_db()
    assert (endpoint.signature_scheme, endpoint.retry_schedule, endpoint.retry_on_4xx, endpoint.timeout,
            endpoint.fallback_url) == ("standard", None, True, None, "")


@pytest.mark.parametrize("field, value, message", [
    ("timeout", "600", "timeout is a number of seconds from 1 to 60"),
    ("retry_schedule", "[0]", "Each delay of retry_schedule is from 1"),
    ("fallback_url", "https://u:pw@127.0.0.1:8444/x", "fallback_url may not carry credentials"),
])
def test_bad_values_are_form_errors(admin_client, field, value, message):
    endpoint = create_endpoint("org_1", url="https://127.0.0.1:8443/h")
    page = admin_client.post(reverse(CHANGE, args=[endpoint.pk]), {
        "url": endpoint.url, "event_types": "[]", "metadata": "{}", field: value})
    assert page.status_code == 200 and message in page.content.decode()
    endpoint.refresh_from_db()
    assert getattr(endpoint, field) in (None, "")
