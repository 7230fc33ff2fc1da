"""The standalone project's Celery app (``celery -A hookplatform worker|beat``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hookplatform.settings")

app = Celery("hookplatform")
app.set_default()  # the app of every thread of a standalone process, not only the importing one
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _start_embedded_broker(sender, **kwargs):
    from django.conf import settings

    if getattr(settings, "USES_EMBEDDED_BROKER", False):
        from hookplatform import embedded_broker

        embedded_broker.ensure_started(settings.EMBEDDED_BROKER_DIR)
