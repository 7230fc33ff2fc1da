"""Settings of the standalone hookplatform project.

The only module that reads the environment (the ``WEBHOOKS_*`` knobs through
the settings table's ``from_environ``).  With nothing set it runs on a
fresh machine: SQLite under ``var/`` and an embedded broker.  Set
``DATABASE_URL`` and ``CELERY_BROKER_URL`` for PostgreSQL and Redis (or
RabbitMQ).  Every variable is listed in the README.
"""

import os
from pathlib import Path

import dj_database_url

from subscriptions.conf import from_environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HOOKPLATFORM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# With DEBUG off, the system checks of hookplatform/checks.py refuse to start on this key.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
# Old keys, still accepted for signatures (and API key hashes) during a rotation.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

# --- HTTPS (README "Production") -----------------------------------------------
# Cookies only over HTTPS unless DEBUG (browsers accept Secure cookies on http://localhost too).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# Load balancers and Prometheus probe over plain HTTP inside the network: never redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS") or 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Only behind a proxy that always sets X-Forwarded-Proto itself: otherwise a client could claim HTTPS.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the docs page's Swagger UI files, served locally (no CDN)
    "subscriptions",
    "delivery",
    "hookplatform",  # its system checks refuse unsafe production settings
]

MIDDLEWARE = [
    # Outermost, so that it also sees the answers Django makes before a view runs (bad Host, big body, 500).
    "hookplatform.api_errors.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The admin's and the API docs' static files under gunicorn (DEBUG off), from STATIC_ROOT.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hookplatform.urls"
WSGI_APPLICATION = "hookplatform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database():
    url = os.environ.get("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'hookplatform.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and immediate transactions let the web process and the workers
        # write side by side: a writer waits for the lock instead of failing.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not memory, so that a test's worker process shares it.
        config["TEST"] = {"NAME": str(VAR_DIR / "test_hookplatform.sqlite3")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# Filled by `manage.py collectstatic`; the Docker image collects into /app/static at build time.
STATIC_ROOT = Path(os.environ.get("HOOKPLATFORM_STATIC_ROOT") or VAR_DIR / "static")
# With DEBUG on (runserver), WhiteNoise serves the apps' files as they are, without collectstatic.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG

# Structured lines: key=value by default, LOG_FORMAT=json for one JSON object per line.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "kv": {"()": "delivery.logging.KeyValueFormatter"},
        "json": {"()": "delivery.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "json" if os.environ.get("LOG_FORMAT") == "json" else "kv"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# /metrics: worker processes count attempts into files here, the web process reads them.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics"))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

# Mail for operational notifications (WEBHOOKS_NOTIFY_EMAIL).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webhooks@localhost")

# --- Celery -----------------------------------------------------------------
EMBEDDED_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or f"redis+socket://{EMBEDDED_BROKER_DIR / 'redis.sock'}"
USES_EMBEDDED_BROKER = not os.environ.get("CELERY_BROKER_URL")
# Longer than the longest batch a worker may hold, so Redis never hands a
# running task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 2
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Keep database connections across tasks (Celery closes them after each one
# otherwise, which costs several times the throughput).
CELERY_DB_REUSE_MAX = 1000

# --- Webhooks ---------------------------------------------------------------
# Every WEBHOOKS_* knob the environment sets; the table of knobs, their defaults and parsers is
# subscriptions/conf.py (README "Settings"), and a bad value stops start-up naming the knob.
globals().update(from_environ(os.environ))

# --- REST API -----------------------------------------------------------------
# The API views set their own authentication, parsers, pagination and errors
# (see subscriptions/api/base.py); only the throttle rates and the trusted proxies are settings here.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Requests per API key, and refused keys per client address: "<n>/second|minute|hour|day".
    "DEFAULT_THROTTLE_RATES": {
        "hookplatform": os.environ.get("HOOKPLATFORM_API_RATE", "1200/minute"),
        "hookplatform_auth_failures": os.environ.get("HOOKPLATFORM_API_AUTH_FAILURE_RATE", "20/minute"),
    },
    # Proxies in front of the web process whose X-Forwarded-For is trusted for the client address.
    "NUM_PROXIES": int(os.environ.get("HOOKPLATFORM_NUM_PROXIES") or 0),
}


def _cache_url():
    """Redis for the throttle's counters, so every web process counts together (REDIS_URL, else a redis:// broker)."""
    url = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL") or ""
    return url if url.startswith(("redis://", "rediss://")) else None


CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url(),
                      "KEY_PREFIX": "hookplatform",
                      # A hung Redis costs a request one second; the throttles then let it through.
                      "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
          if _cache_url() else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# /metrics answers only `Authorization: Bearer <token>` when set (README "Operations").
HOOKPLATFORM_METRICS_TOKEN = os.environ.get("HOOKPLATFORM_METRICS_TOKEN", "")

# The same document `manage.py spectacular` writes as /api/schema/ serves.
from subscriptions.api.schema import SCHEMA_SETTINGS  # noqa: E402

SPECTACULAR_SETTINGS = {
    **SCHEMA_SETTINGS,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
