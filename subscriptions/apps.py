from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    label = "hookplatform_subscriptions"  # a host may have its own "subscriptions" (relabelling.py)
    verbose_name = "Webhook subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from subscriptions import checks  # noqa: F401 (registers the system checks)
