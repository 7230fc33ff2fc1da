"""System checks of what a host must set for webhooks to work (README: "Add webhooks to your Django project").

Each names the setting and what to write, so ``manage.py check`` (and
``migrate``, ``runserver``) says it before the first request or the first
webhook, instead of a 500 page, a worker on the wrong broker or a metric
that stays at 0.  The standalone project passes all of them.
"""

import os

from django.conf import settings
from django.core import checks
from django.urls import NoReverseMatch, get_resolver, reverse

from subscriptions.api.fallback import API_ROOT

ERRORS_MIDDLEWARE = "hookplatform.api_errors.ApiErrorsMiddleware"
SQLITE_OPTIONS = ('"OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", '
                  '"init_command": "PRAGMA journal_mode=WAL;"}')


def _api_mounted():
    try:
        reverse(API_ROOT)
    except NoReverseMatch:
        return False
    return True


def _views(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _views(pattern.url_patterns)
        else:
            yield pattern.callback


def _metrics_mounted():
    return any(getattr(view, "__module__", None) == "hookplatform.ops" and view.__name__ == "metrics"
               for view in _views(get_resolver().url_patterns))


@checks.register()
def check_apps(app_configs=None, **kwargs):
    """The apps README step 2 adds: DRF always, drf_spectacular when the REST API is mounted (its docs page)."""
    errors = []
    if "rest_framework" not in settings.INSTALLED_APPS:
        errors.append(checks.Error("'rest_framework' is not in INSTALLED_APPS; hookplatform's API and admin use it.",
                                   hint='INSTALLED_APPS += ["rest_framework", "drf_spectacular", '
                                        '"subscriptions", "delivery"]', id="delivery.E001"))
    if _api_mounted() and "drf_spectacular" not in settings.INSTALLED_APPS:
        errors.append(checks.Error(
            "hookplatform.api_urls is mounted but 'drf_spectacular' is not in INSTALLED_APPS: "
            "/api/docs/ would answer 500 (its template is not found).",
            hint='Add "drf_spectacular" to INSTALLED_APPS (and "drf_spectacular_sidecar" with '
                 'SPECTACULAR_SETTINGS = {"SWAGGER_UI_DIST": "SIDECAR"} to serve Swagger UI without a CDN).',
            id="delivery.E002"))
    return errors


@checks.register()
def check_api_middleware(app_configs=None, **kwargs):
    """With the API mounted, its errors are JSON only if ApiErrorsMiddleware comes first."""
    middleware = list(settings.MIDDLEWARE)
    if not _api_mounted() or middleware[:1] == [ERRORS_MIDDLEWARE]:
        return []
    where = "is not first" if ERRORS_MIDDLEWARE in middleware else "is missing"
    return [checks.Warning(
        f"hookplatform.api_urls is mounted but {ERRORS_MIDDLEWARE} {where} in MIDDLEWARE: errors Django "
        "answers before a view runs (bad Host, 404, 500) would be HTML under the API's prefix.",
        hint=f'MIDDLEWARE = ["{ERRORS_MIDDLEWARE}", *MIDDLEWARE]', id="delivery.W003")]


@checks.register()
def check_celery(app_configs=None, **kwargs):
    """The host's own Celery app must exist, read Django's settings and name a broker of the host's."""
    from delivery.broker import celery_app

    configured = getattr(settings, "CELERY_BROKER_URL", None)
    app_url = celery_app().conf.broker_url
    app_hint = ('Write yourproject/celery.py as the README shows (app = Celery("yourproject"); '
                'app.config_from_object("django.conf:settings", namespace="CELERY"); app.autodiscover_tasks()) '
                'and import it in yourproject/__init__.py (from .celery import app as celery_app).')
    if not configured and not app_url:
        return [checks.Error(
            "No Celery broker: CELERY_BROKER_URL is not set, so workers and publish() would try "
            "amqp://guest@localhost. A host needs a broker of its own (the embedded one is the standalone "
            "project's).", hint='e.g. CELERY_BROKER_URL = "redis://127.0.0.1:6379/0". ' + app_hint,
            id="delivery.E004")]
    if configured and app_url != configured:
        return [checks.Error(
            f"CELERY_BROKER_URL is set but the Celery app in use ignores it (its broker is {app_url or 'unset'}).",
            hint=app_hint, id="delivery.E005")]
    return []


@checks.register()
def check_worker_settings(app_configs=None, **kwargs):
    """Celery settings the README asks for: reused database connections, and the host's log format kept."""
    warnings = []
    reuse = getattr(settings, "CELERY_DB_REUSE_MAX", None)
    if not isinstance(reuse, int) or isinstance(reuse, bool) or reuse < 1:
        warnings.append(checks.Warning(
            f"CELERY_DB_REUSE_MAX is {'not set' if reuse is None else repr(reuse)}: Celery closes the database "
            "connection after every task, which costs each webhook task a new connection.",
            hint="CELERY_DB_REUSE_MAX = 1000", id="delivery.W006"))
    if "delivery.logging" in repr(getattr(settings, "LOGGING", {})) and \
            getattr(settings, "CELERY_WORKER_HIJACK_ROOT_LOGGER", True) is not False:
        warnings.append(checks.Warning(
            "LOGGING uses delivery.logging's formatter but Celery replaces the root logger's handlers in workers: "
            "the worker's attempt lines would lose their key=value fields.",
            hint="CELERY_WORKER_HIJACK_ROOT_LOGGER = False", id="delivery.W007"))
    return warnings


@checks.register()
def check_metrics_directory(app_configs=None, **kwargs):
    """With /metrics mounted, attempts are counted in the workers: web and workers must share a directory."""
    if not _metrics_mounted():
        return []
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    hint = ('In settings.py, before anything imports prometheus_client: '
            'os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(BASE_DIR / "var" / "metrics")) and '
            'Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True); '
            'web and worker processes of a machine must share it.')
    if not path:
        return [checks.Warning(
            "hookplatform.ops is mounted but PROMETHEUS_MULTIPROC_DIR is not set: attempts are counted in "
            "the worker processes, so /metrics would show hookplatform_attempts_total at 0.",
            hint=hint, id="delivery.W008")]
    if not (os.path.isdir(path) and os.access(path, os.W_OK)):
        return [checks.Warning(f"PROMETHEUS_MULTIPROC_DIR={path} is not a writable directory.", hint=hint,
                               id="delivery.W008")]
    return []


@checks.register()
def check_sqlite(app_configs=None, **kwargs):
    """SQLite: the web process and the workers write side by side only with WAL, a busy timeout and IMMEDIATE.

    It reads the settings only (no connection), so it runs with every ``check``, not only ``--database``.
    """
    return sqlite_problems(settings.DATABASES.get("default", {}))


def sqlite_problems(database):
    if database.get("ENGINE") != "django.db.backends.sqlite3":
        return []
    options = database.get("OPTIONS", {})
    missing = [name for name, ok in (
        ("a timeout", (options.get("timeout") or 0) >= 5),
        ('"transaction_mode": "IMMEDIATE"', str(options.get("transaction_mode", "")).upper() == "IMMEDIATE"),
        ("PRAGMA journal_mode=WAL in init_command", "journal_mode=wal" in options.get("init_command", "").lower()),
    ) if not ok]
    problems = []
    if missing:
        problems.append(checks.Warning(
            f"SQLite without {', '.join(missing)}: workers and web processes writing at once fail with "
            "'database is locked'.", hint=f"In DATABASES['default']: {SQLITE_OPTIONS}; for production, PostgreSQL.",
            id="delivery.W009"))
    if not database.get("TEST", {}).get("NAME"):
        problems.append(checks.Warning(
            "SQLite's test database is in memory: a Celery worker started by your tests cannot see it.",
            hint='In DATABASES["default"]: "TEST": {"NAME": str(BASE_DIR / "test_db.sqlite3")} '
                 "(or test on PostgreSQL).", id="delivery.W010"))
    return problems
