from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Webhook subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from subscriptions import checks  # noqa: F401 (registers the system checks)
