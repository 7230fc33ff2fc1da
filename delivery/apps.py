from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "delivery"
    label = "hookplatform_delivery"  # a host may have its own "delivery" (subscriptions/relabelling.py)
    verbose_name = "Webhook delivery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from delivery import broker_guard, notifications, parking, schedule

        schedule.install()
        broker_guard.install()
        notifications.connect()
        parking.connect()
