"""The admin shows and edits an endpoint's ``ordered`` flag through the domain functions."""

import re

from django.urls import reverse

from subscriptions.models import Endpoint


def test_ordered_is_set_in_the_add_form_shown_on_the_list_and_turned_off_in_the_change_form(admin_client, history):
    add = reverse("admin:hookplatform_subscriptions_endpoint_add")
    assert 'name="ordered"' in admin_client.get(add).content.decode()
    response = admin_client.post(add, {"tenant": history["good"].tenant_id, "url": "https://line.example.com/h",
                                       "event_types": "[]", "metadata": "{}", "ordered": "on"})
    assert response.status_code == 302
    created = Endpoint.objects.get(url="https://line.example.com/h")
    assert created.ordered is True

    listed = admin_client.get(reverse("admin:hookplatform_subscriptions_endpoint_changelist")).content.decode()
    row = listed[listed.index(f"{created.pk}</span>"):][:200]
    assert ">ordered</span>" in row
    plain = listed[listed.index(f"{history['good'].pk}</span>"):][:200]
    assert ">ordered</span>" not in plain.split("</td>")[0]

    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[created.pk])
    checkbox = re.search(r'<input[^>]*name="ordered"[^>]*>', admin_client.get(change).content.decode()).group()
    assert "checked" in checkbox
    admin_client.post(change, {"url": "https://line.example.com/h", "event_types": "[]", "metadata": "{}"})
    created.refresh_from_db()
    assert created.ordered is False
