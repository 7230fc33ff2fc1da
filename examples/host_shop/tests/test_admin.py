"""The shop's own admin keeps Django's branding and index page, and shows the webhook models beside its own."""

from datetime import date

from django.apps import apps
from django.urls import reverse

from billing.models import Subscription
from shop.models import Account


def test_the_host_admin_keeps_its_branding_and_lists_the_webhook_models(admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Django administration" in index and "hookplatform console" not in index
    for name in ("hookplatform_subscriptions_endpoint", "hookplatform_subscriptions_tenant",
                 "hookplatform_delivery_delivery", "hookplatform_delivery_event"):
        assert reverse(f"admin:{name}_changelist") in index
    deliveries = admin_client.get(reverse("admin:hookplatform_delivery_delivery_changelist")).content.decode()
    assert reverse("admin:webhooks_dashboard") in deliveries  # the dashboard is still a click away
    assert admin_client.get(reverse("admin:webhooks_dashboard")).status_code == 200


def test_the_shops_own_subscriptions_app_lives_beside_hookplatforms(admin_client):
    """The shop's billing app is labelled ``subscriptions``; hookplatform's apps have labels of their own."""
    assert apps.get_app_config("subscriptions").name == "billing"
    assert apps.get_app_config("hookplatform_subscriptions").name == "subscriptions"
    account = Account.objects.create(uid="acme", name="Acme")
    Subscription.objects.create(account=account, plan="pro", renews_on=date(2027, 1, 1))
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:subscriptions_subscription_changelist") in index
    assert reverse("admin:hookplatform_subscriptions_endpoint_changelist") in index
    assert "pro" in admin_client.get(reverse("admin:subscriptions_subscription_changelist")).content.decode()
