from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Labelled ``subscriptions``, as many products' billing apps are: hookplatform's labels are
    ``hookplatform_subscriptions`` and ``hookplatform_delivery``, so the two live side by side."""

    name = "billing"
    label = "subscriptions"
    verbose_name = "Billing subscriptions"
    default_auto_field = "django.db.models.BigAutoField"
