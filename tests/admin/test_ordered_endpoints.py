"""The admin shows and edits an endpoint's ``ordered`` flag through the domain functions."""

import re

from django.urls import reverse

from delivery.models import Delivery
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


def test_a_delivery_waiting_in_an_ordered_line_says_so_on_the_list(admin_client, history):
    from subscriptions import create_endpoint
    from tests.admin.conftest import make_delivery, make_event

    ordered = create_endpoint(history["good"].tenant, url="https://line.example.com/h", ordered=True)
    waiting = make_delivery(make_event(ordered.tenant, 99), ordered, "pending")
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=None)

    page = admin_client.get(reverse("admin:hookplatform_delivery_delivery_changelist")).content.decode()

    assert page.count(">in line</span>") == 1
