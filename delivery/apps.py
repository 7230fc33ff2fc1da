from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "delivery"
    label = "hookplatform_delivery"  # a host may have its own "delivery" (subscriptions/relabelling.py)
    verbose_name = "Webhook delivery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # broker's worker-only adaptations are connected to worker_init here and run only there.
        from delivery import broker, checks, endpoint_health, lines, notifications, parking  # noqa: F401 (checks register)

        broker.meet_configured_app()  # the host's Celery app, in the thread that created it
        notifications.connect()
        parking.connect()
        endpoint_health.connect()
        lines.connect()
