from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ShopConfig(AppConfig):
    name = "shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from shop import webhooks

        webhooks.install_hooks()
        post_migrate.connect(webhooks.ensure_event_types, sender=self)
