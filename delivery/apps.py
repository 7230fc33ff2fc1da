from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = "Webhook delivery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from delivery import broker_guard, notifications, parking, schedule

        schedule.install()
        broker_guard.install()
        notifications.connect()
        parking.connect()
