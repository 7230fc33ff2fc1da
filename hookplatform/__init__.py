"""The standalone hookplatform project: settings, URLs and the Celery app."""

from hookplatform.celery import app as celery_app

__all__ = ["celery_app"]
