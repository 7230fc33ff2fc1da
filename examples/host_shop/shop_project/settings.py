"""Settings of a small shop that added webhooks: its own apps first, then hookplatform's two."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHOP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = False
# Never a key written in the source: anyone who reads it can forge sessions, messages and reset links.
# run_tests.sh generates one for the test run (shared by the test process and its worker).
SECRET_KEY = os.environ.get("SHOP_SECRET_KEY") or ""
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SHOP_SECRET_KEY, e.g. to the output of "
                               "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.")
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "shop",
    "billing",  # labelled "subscriptions": see billing/apps.py
    # Webhooks (pip install hookplatform):
    "rest_framework",
    "drf_spectacular",  # the API's docs page (/api/docs/)
    "subscriptions",
    "delivery",
]

MIDDLEWARE = [
    # First: every answer under /api/ is JSON, even those Django makes before a view runs (bad Host, 404, 500).
    "hookplatform.api_errors.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "shop_project.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

# A file, not memory, so that the worker process shares the test database too.
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("SHOP_DB", str(VAR_DIR / "shop.sqlite3")),
    "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;"},
    "TEST": {"NAME": str(VAR_DIR / "test_shop.sqlite3")},
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"

# The shop's Celery: its own broker and its own default queue; hookplatform's
# tasks run there with no routing written for them.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
CELERY_TASK_DEFAULT_QUEUE = "host_shop"
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_DB_REUSE_MAX = 1000

# Webhooks.  Signing secrets and receiver credentials are encrypted at rest with these Fernet keys
# (comma-separated; the first encrypts, all decrypt), kept outside the database.
WEBHOOKS_ENCRYPTION_KEYS = os.environ.get("WEBHOOKS_ENCRYPTION_KEYS", "")
# !!! DANGER: SSRF protection OFF when SHOP_ALLOW_PRIVATE_NETWORKS=1.  Only the shop's tests and local demo
# !!! set it, to deliver to receivers on 127.0.0.1.  Never in production: with it, any tenant's endpoint may
# !!! point at your database, your cloud metadata service (169.254.169.254) or anything else on your network.
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = os.environ.get("SHOP_ALLOW_PRIVATE_NETWORKS", "").strip().lower() in (
    "1", "true", "yes", "on")
WEBHOOKS_RETRY_SCHEDULE = os.environ.get("WEBHOOKS_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000")
WEBHOOKS_DISPATCH_INTERVAL = float(os.environ.get("WEBHOOKS_DISPATCH_INTERVAL", "1"))
# The webhook portal at /account/webhooks/, for the signed-in owner's account, in the shop's colours.
WEBHOOKS_PORTAL_TENANT = "shop.webhooks.portal_tenant"
WEBHOOKS_PORTAL_PRODUCT_NAME = "Shop"
WEBHOOKS_PORTAL_ACCENT_COLOUR = "#7c2d12"

# /ops/metrics: the worker counts attempts into files here, the web process adds them up.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics"))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"kv": {"()": "delivery.logging.KeyValueFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
