"""The peer project's Celery app (``celery -A peer_celery worker``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
app = Celery("peer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
