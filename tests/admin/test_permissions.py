"""Staff who may only view see the console but cannot act: no actions offered, and any attempt refused."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from delivery.models import Delivery
from subscriptions.models import Endpoint
from tests.admin.conftest import snapshot


def test_viewer_sees_lists_pages_and_dashboard_without_actions(viewer, history):
    for name in ("hookplatform_delivery_delivery_changelist", "hookplatform_subscriptions_endpoint_changelist"):
        page = viewer.get(reverse(f"admin:{name}"))
        assert page.status_code == 200 and b'name="action"' not in page.content
    assert viewer.get(reverse("admin:webhooks_dashboard")).status_code == 200
    page = viewer.get(reverse("admin:hookplatform_subscriptions_endpoint_change", args=[history["bad"].pk])).content
    assert b"/act/disable/" not in page and b"/act/recover/" not in page
    page = viewer.get(reverse("admin:hookplatform_delivery_delivery_change", args=[history["failed"].pk])).content
    assert b"/act/resend/" not in page


@pytest.mark.parametrize("name, target", [("resend", "failed"), ("cancel", "retrying")])
def test_viewer_cannot_act_on_deliveries(viewer, history, name, target):
    before = snapshot()
    obj = history[target]
    url = reverse("admin:hookplatform_delivery_delivery_act", args=[obj.pk, name])
    assert viewer.get(url).status_code == 403
    assert viewer.post(url, {"confirm": "yes"}).status_code == 403
    viewer.post(reverse("admin:hookplatform_delivery_delivery_changelist"),
                {"action": name, "_selected_action": [obj.pk], "select_across": "0", "confirm": "yes"})
    assert snapshot() == before


@pytest.mark.parametrize("name", ["disable", "enable", "recover", "send_test", "rotate_secret"])
def test_viewer_cannot_act_on_endpoints(viewer, history, name):
    before = snapshot()
    url = reverse("admin:hookplatform_subscriptions_endpoint_act", args=[history["bad"].pk, name])
    assert viewer.post(url, {"confirm": "yes", "reason": "x", "event_type": "invoice.paid"}).status_code == 403
    viewer.post(reverse("admin:hookplatform_subscriptions_endpoint_changelist"),
                {"action": name, "_selected_action": [history["bad"].pk], "confirm": "yes", "reason": "x"})
    assert snapshot() == before


def test_reveal_needs_the_secret_permission(client, history):
    user = User.objects.create_user("operator", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_endpoint", "change_endpoint"]))
    client.force_login(user)
    url = reverse("admin:hookplatform_subscriptions_endpoint_secret", args=[history["good"].pk])
    assert client.post(url).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="reveal_secret"))
    assert client.post(url).status_code == 200


def test_delivery_operator_cannot_touch_endpoints(client, history):
    user = User.objects.create_user("support", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        codename__in=["view_delivery", "change_delivery", "view_endpoint"]))
    client.force_login(user)
    deliveries = client.get(reverse("admin:hookplatform_delivery_delivery_changelist")).content
    assert b'value="resend"' in deliveries
    endpoints = client.get(reverse("admin:hookplatform_subscriptions_endpoint_changelist")).content
    assert b'name="action"' not in endpoints
    assert Endpoint.objects.filter(disabled=True).count() == 0
    assert Delivery.objects.count() == 6
