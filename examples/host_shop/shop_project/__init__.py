"""The shop's Django project; its Celery app is the current one (so hookplatform's tasks run on it)."""

from shop_project.celery import app as celery_app

__all__ = ["celery_app"]
