"""Each host setting the README asks for has a system check: missing, wrong, right (delivery/checks.py)."""

import pytest
from celery import Celery
from django.core import checks

from delivery import checks as host_checks

HOST_URLS = "tests.ecosystem.host_urls"
BARE_URLS = "tests.ecosystem.bare_urls"
MIDDLEWARE = "hookplatform.api_errors.ApiErrorsMiddleware"
GOOD_SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3", "TEST": {"NAME": "test.sqlite3"},
               "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                           "init_command": "PRAGMA journal_mode=WAL;"}}


def ids(messages):
    return [message.id for message in messages]


def test_the_test_settings_pass_every_check():
    assert [m for m in checks.run_checks() if m.id and m.id.startswith("delivery.")] == []


def test_rest_framework_missing_then_right(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "rest_framework"]
    assert "delivery.E001" in ids(host_checks.check_apps())
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "rest_framework"]
    assert "delivery.E001" not in ids(host_checks.check_apps())


def test_drf_spectacular_needed_only_where_the_api_is_mounted(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if not app.startswith("drf_spectacular")]
    settings.ROOT_URLCONF = HOST_URLS
    [error] = host_checks.check_apps()
    assert error.id == "delivery.E002" and "drf_spectacular" in error.hint
    settings.ROOT_URLCONF = BARE_URLS
    assert host_checks.check_apps() == []
    settings.ROOT_URLCONF = HOST_URLS
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "drf_spectacular"]
    assert host_checks.check_apps() == []


@pytest.mark.parametrize("middleware, expected", [
    ([], ["delivery.W003"]),                                                       # missing
    (["django.middleware.common.CommonMiddleware", MIDDLEWARE], ["delivery.W003"]),  # not first
    ([MIDDLEWARE, "django.middleware.common.CommonMiddleware"], []),               # right
])
def test_api_errors_middleware_first(settings, middleware, expected):
    settings.ROOT_URLCONF = HOST_URLS
    settings.MIDDLEWARE = middleware
    assert ids(host_checks.check_api_middleware()) == expected


def test_api_errors_middleware_not_asked_without_the_api(settings):
    settings.ROOT_URLCONF = BARE_URLS
    settings.MIDDLEWARE = []
    assert host_checks.check_api_middleware() == []


@pytest.fixture
def host_app(monkeypatch):
    """The Celery app the check sees, as a host's celery.py would (or would not) make it."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery reads it before any setting

    def use(app):
        monkeypatch.setattr("delivery.broker.celery_app", lambda: app)
    return use


def test_no_broker_at_all(settings, host_app):
    del settings.CELERY_BROKER_URL
    host_app(Celery("bare"))
    [error] = host_checks.check_celery()
    assert error.id == "delivery.E004" and "broker of its own" in error.msg


def test_broker_setting_ignored_by_an_app_not_reading_django_settings(settings, host_app):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/5"
    host_app(Celery("bare"))
    [error] = host_checks.check_celery()
    assert error.id == "delivery.E005" and 'config_from_object("django.conf:settings"' in error.hint


def test_broker_read_from_django_settings(settings, host_app):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/5"
    app = Celery("host")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    host_app(app)
    assert host_checks.check_celery() == []


@pytest.mark.parametrize("value, expected", [
    (None, ["delivery.W006"]), (0, ["delivery.W006"]), ("1000", ["delivery.W006"]), (1000, []),
])
def test_db_reuse_max(settings, value, expected):
    settings.LOGGING = {}
    if value is None:
        del settings.CELERY_DB_REUSE_MAX
    else:
        settings.CELERY_DB_REUSE_MAX = value
    assert ids(host_checks.check_worker_settings()) == expected


@pytest.mark.parametrize("hijack, expected", [(None, ["delivery.W007"]), (True, ["delivery.W007"]), (False, [])])
def test_worker_keeps_the_hosts_log_format(settings, hijack, expected):
    settings.LOGGING = {"version": 1, "formatters": {"kv": {"()": "delivery.logging.KeyValueFormatter"}}}
    if hijack is None:
        del settings.CELERY_WORKER_HIJACK_ROOT_LOGGER
    else:
        settings.CELERY_WORKER_HIJACK_ROOT_LOGGER = hijack
    assert ids(host_checks.check_worker_settings()) == expected


def test_metrics_directory(settings, monkeypatch, tmp_path):
    settings.ROOT_URLCONF = HOST_URLS
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    assert ids(host_checks.check_metrics_directory()) == ["delivery.W008"]             # missing
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "absent"))
    assert ids(host_checks.check_metrics_directory()) == ["delivery.W008"]             # wrong
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert host_checks.check_metrics_directory() == []                                 # right
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    settings.ROOT_URLCONF = BARE_URLS
    assert host_checks.check_metrics_directory() == []                                 # no /metrics mounted


def test_sqlite_options_named():
    bare = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}
    assert ids(host_checks.sqlite_problems(bare)) == ["delivery.W009", "delivery.W010"]   # startproject's
    wrong = {**GOOD_SQLITE, "OPTIONS": {"timeout": 20, "transaction_mode": "DEFERRED",
                                        "init_command": "PRAGMA journal_mode=WAL;"}}
    [warning] = host_checks.sqlite_problems(wrong)
    assert warning.id == "delivery.W009" and '"transaction_mode": "IMMEDIATE"' in warning.msg
    assert "timeout" not in warning.msg and "WAL" not in warning.msg
    assert host_checks.sqlite_problems(GOOD_SQLITE) == []
    assert host_checks.sqlite_problems({"ENGINE": "django.db.backends.postgresql", "NAME": "x"}) == []


def test_registered_with_django(settings):
    """``manage.py check`` runs them: they are registered when the delivery app is ready."""
    settings.ROOT_URLCONF = HOST_URLS
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[1:], MIDDLEWARE]
    assert "delivery.W003" in ids(checks.run_checks())
