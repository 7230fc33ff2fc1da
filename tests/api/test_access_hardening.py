"""Who may knock, and how often: query parsing, the public docs, throttles, API key peppers."""

import os
import subprocess
import sys

import pytest
import redis
from django.test import override_settings

from subscriptions.api_keys import create_api_key
from tests.api.conftest import client_with
from tests.worker import ROOT, free_port

DEFAULT_AUTH_FAILURE_RATE = "20/minute"  # subscriptions.api.throttling's default
UNICODE_DIGITS = ["²", "٣", "５", "߁", "1²", "¹⁰"]


@pytest.mark.parametrize("raw", UNICODE_DIGITS)
def test_a_limit_of_unicode_digits_is_a_400(acme_key, acme_traffic, raw):
    """L2: `?limit=²` answered 500 (isdigit() is true, int() refuses it)."""
    response = acme_key.get("/api/v1/tenants/acme/deliveries/", {"limit": raw})
    assert response.status_code == 400, response.content
    assert "limit" in response.json()


@pytest.mark.parametrize("param", ["endpoint", "event", "status", "cursor"])
@pytest.mark.parametrize("raw", UNICODE_DIGITS)
def test_other_query_numbers_of_unicode_digits_are_never_a_500(acme_key, acme_traffic, param, raw):
    """L2, sibling paths: every other query parameter of a list."""
    response = acme_key.get("/api/v1/tenants/acme/deliveries/", {param: raw})
    assert response.status_code in (200, 400), response.content


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_the_public_docs_ignore_basic_credentials(db, django_user_model, path):
    """L9: /api/schema/ and /api/docs/ ran Basic auth: a wrong password answered 401 (a guessing oracle)."""
    django_user_model.objects.create_superuser("admin", "a@example.com", "right-password")
    client = client_with(None)
    client.credentials(HTTP_AUTHORIZATION="Basic YWRtaW46d3JvbmctZ3Vlc3M=")  # admin:wrong-guess
    assert client.get(path).status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Basic YWRtaW46cmlnaHQtcGFzc3dvcmQ=")  # admin:right-password
    assert client.get(path).status_code == 200


def bad_key_calls(count, **extra):
    client = client_with("hp_" + "x" * 43)
    return [client.get("/api/v1/event-types/", **extra).status_code for _ in range(count)]


AUTH_RATES = {"hookplatform": "1200/minute", "hookplatform_auth_failures": DEFAULT_AUTH_FAILURE_RATE}


@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": AUTH_RATES})
def test_failed_authentications_are_throttled_per_address_and_good_keys_are_not(acme):
    """L20: requests with bad keys were refused and never counted; now 20 a minute, then 429."""
    allowed = int(DEFAULT_AUTH_FAILURE_RATE.split("/")[0])
    statuses = bad_key_calls(allowed + 5)
    assert statuses[:allowed] == [401] * allowed
    assert statuses[allowed:] == [429] * 5
    good = client_with(create_api_key(tenant=acme)[1])
    assert good.get("/api/v1/tenants/acme/endpoints/").status_code == 429  # the address is blocked
    assert good.get("/api/v1/tenants/acme/endpoints/", REMOTE_ADDR="10.0.0.9").status_code == 200


@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": AUTH_RATES})
def test_x_forwarded_for_is_not_an_identity_without_trusted_proxies(db):
    """L20: DRF trusted any X-Forwarded-For, so a client changed identity with every request."""
    statuses = [bad_key_calls(1, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")[0] for n in range(30)]
    assert statuses.count(429) == 10


@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": AUTH_RATES, "NUM_PROXIES": 1})
def test_x_forwarded_for_counts_behind_a_configured_proxy(db):
    """L20: with NUM_PROXIES=1, the proxy's X-Forwarded-For names the client."""
    statuses = [bad_key_calls(1, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")[0] for n in range(30)]
    assert 429 not in statuses


def test_the_throttle_counts_in_redis_shared_by_every_process(db, private_broker):
    """L20: the counters lived in each gunicorn worker's own LocMem cache."""
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": private_broker.url, "KEY_PREFIX": "hookplatform"}}
    with override_settings(CACHES=caches, REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": AUTH_RATES}):
        assert bad_key_calls(21)[-1] == 429
    another_process = redis.Redis.from_url(private_broker.url)
    assert [k for k in another_process.keys("hookplatform:*") if b"auth_failures" in k]


def settings_of(env, expression):
    """``expression`` evaluated in a fresh process on the standalone settings; None in ``env`` unsets."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hookplatform.settings", "DJANGO_DEBUG": "1",
           "HOOKPLATFORM_VAR_DIR": str(ROOT / "var" / "test"), **env}
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run([sys.executable, "-c", code], env={k: v for k, v in env.items() if v is not None},
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout.strip()


def test_the_standalone_settings_put_the_cache_in_redis_when_there_is_one():
    """L20: Redis when a redis:// broker (or REDIS_URL) is configured; LocMem on the SQLite default."""
    backend = 'settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[1]'
    assert settings_of({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/3", "REDIS_URL": None}, backend) == "RedisCache"
    assert settings_of({"CELERY_BROKER_URL": None, "REDIS_URL": "redis://127.0.0.1:6379/4"}, backend) == "RedisCache"
    assert settings_of({"CELERY_BROKER_URL": None, "REDIS_URL": None}, backend) == "LocMemCache"
    assert settings_of({"CELERY_BROKER_URL": "amqp://h//", "REDIS_URL": None}, backend) == "LocMemCache"
    assert settings_of({"WEBHOOKS_API_KEY_PEPPER": "pep"}, "settings.WEBHOOKS_API_KEY_PEPPER") == "pep"


def test_rotating_secret_key_keeps_api_keys_working(settings, acme):
    """L11: the pepper was SECRET_KEY with no fallbacks: rotating it revoked every API key."""
    key = create_api_key(tenant=acme)[1]
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "y" * 40, [old]
    assert client_with(key).get("/api/v1/tenants/acme/endpoints/").status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert client_with(key).get("/api/v1/tenants/acme/endpoints/").status_code == 401


def test_a_pepper_once_set_survives_secret_key_rotations_and_rotates_with_its_fallbacks(settings, acme):
    """L11: WEBHOOKS_API_KEY_PEPPER is read, keys made before it keep working, and it rotates with fallbacks."""
    before = create_api_key(tenant=acme)[1]
    settings.WEBHOOKS_API_KEY_PEPPER = "pepper-one-" + "p" * 40
    after = create_api_key(tenant=acme)[1]
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "rotated-" + "z" * 50, [settings.SECRET_KEY]
    settings.WEBHOOKS_API_KEY_PEPPER = "pepper-two-" + "q" * 40
    settings.WEBHOOKS_API_KEY_PEPPER_FALLBACKS = ["pepper-one-" + "p" * 40]
    for key in (before, after):
        assert client_with(key).get("/api/v1/tenants/acme/endpoints/").status_code == 200
    settings.SECRET_KEY_FALLBACKS, settings.WEBHOOKS_API_KEY_PEPPER_FALLBACKS = [], []
    assert client_with(after).get("/api/v1/tenants/acme/endpoints/").status_code == 401


def test_a_dead_throttle_cache_does_not_fail_every_request(acme):
    """L20: with the counters in Redis, Redis being down must not turn every API call into a 500."""
    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    good = client_with(create_api_key(tenant=acme)[1])
    with override_settings(CACHES=dead, REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": AUTH_RATES}):
        assert good.get("/api/v1/tenants/acme/endpoints/").status_code == 200
        assert bad_key_calls(1) == [401]
