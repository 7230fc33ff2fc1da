from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = "Webhook delivery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # broker's worker-only adaptations are connected to worker_init here and run only there.
        from delivery import broker, notifications, parking

        broker.install_beat_entries()  # also meets the host's Celery app in the thread that created it
        notifications.connect()
        parking.connect()
