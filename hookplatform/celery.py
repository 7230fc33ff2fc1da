"""The standalone project's Celery app (``celery -A hookplatform worker|beat``)."""

import os

from celery import Celery, signals

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


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_unsafe_start(sender=None, **kwargs):
    """Celery runs Django's checks but ignores their errors: an unsafe production setting stops it here."""
    from django.core.management.base import SystemCheckError

    from hookplatform.checks import refuse_unsafe_start

    try:
        refuse_unsafe_start()
    except SystemCheckError as exc:
        raise SystemExit(str(exc)) from None  # Celery logs and ignores an Exception raised by a signal receiver
