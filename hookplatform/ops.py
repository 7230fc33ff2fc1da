"""Operations endpoints: ``/healthz`` for load balancers, ``/metrics`` for Prometheus.

A host mounts them with ``path("", include("hookplatform.ops"))`` or picks
the two views.  Both are unauthenticated and read-only: keep them off the
public internet (a load balancer's private check, a scrape on the internal
network).
"""

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

BROKER_TIMEOUT = 2.0
_checker = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _connect_broker():
    from delivery.handoff import celery_app

    with celery_app().connection_for_write(connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        conn.default_channel  # noqa: B018 - opening a channel is what proves the broker answers


def check_broker(timeout=BROKER_TIMEOUT):
    """Connect to the broker, giving up after ``timeout`` seconds whatever the transport does."""
    future = _checker.submit(_connect_broker)
    try:
        future.result(timeout=timeout)
    except FutureTimeout:
        raise TimeoutError(f"no answer within {timeout:g} s") from None


CHECKS = {"database": check_database, "broker": check_broker}


def run_checks():
    results = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
            results[name] = {"ok": True}
        except Exception as exc:  # any failure makes the service unhealthy
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return results


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer, 503 naming what does not."""
    results = run_checks()
    healthy = all(result["ok"] for result in results.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": results},
                        status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request):
    from prometheus_client import CONTENT_TYPE_LATEST

    from delivery.metrics import exposition

    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
]
