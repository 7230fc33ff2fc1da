"""The shop's own admin keeps Django's branding and index page, and shows the webhook models beside its own."""

from django.urls import reverse


def test_the_host_admin_keeps_its_branding_and_lists_the_webhook_models(admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Django administration" in index and "hookplatform console" not in index
    for name in ("hookplatform_subscriptions_endpoint", "hookplatform_subscriptions_tenant",
                 "hookplatform_delivery_delivery", "hookplatform_delivery_event"):
        assert reverse(f"admin:{name}_changelist") in index
    deliveries = admin_client.get(reverse("admin:hookplatform_delivery_delivery_changelist")).content.decode()
    assert reverse("admin:webhooks_dashboard") in deliveries  # the dashboard is still a click away
    assert admin_client.get(reverse("admin:webhooks_dashboard")).status_code == 200
