"""A minimal Django project using django-webhook, as its README sets it up (benchmark peer).

Run only by ``bench/peer.py`` with the peer's own virtualenv.  Defaults as a
new project has them: no ``CONN_MAX_AGE``, no ``CELERY_DB_REUSE_MAX``.
"""

import os

SECRET_KEY = "bench-peer-only"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django_webhook", "peerapp"]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ["PEER_DB_NAME"],
    "USER": os.environ.get("PEER_DB_USER", "postgres"),
    "HOST": os.environ.get("PEER_DB_HOST", "127.0.0.1"),
    "PORT": os.environ.get("PEER_DB_PORT", "5432"),
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CELERY_BROKER_URL = os.environ["PEER_BROKER_URL"]
CELERY_TASK_IGNORE_RESULT = True
DJANGO_WEBHOOK = {"MODELS": ["peerapp.Order"]}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
