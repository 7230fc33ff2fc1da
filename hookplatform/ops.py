"""Operations endpoints: ``/healthz`` for load balancers, ``/metrics`` for Prometheus.

A host mounts them with ``path("", include("hookplatform.ops"))`` or picks
the two views.  Both are read-only; keep them off the public internet (a load
balancer's private check, a scrape on the internal network).  ``/metrics``
also asks for ``Authorization: Bearer <HOOKPLATFORM_METRICS_TOKEN>`` when that
setting is set.  Failures are named, not described: details go to the log.
"""

import hmac
import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
BROKER_TIMEOUT = 2.0
_in_flight = {}  # broker URL -> its one connection attempt under way
_in_flight_lock = threading.Lock()


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _connect_broker():
    from delivery.broker import celery_app

    with celery_app().connection_for_write(connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        conn.default_channel  # noqa: B018 - opening a channel is what proves the broker answers


def _attempt(check):
    """Run ``check`` in a daemon thread of its own (a hung connection holds only that thread)."""
    future = Future()

    def run():
        try:
            check()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
            future.set_exception(exc)
        else:
            future.set_result(None)

    threading.Thread(target=run, name="healthz-broker", daemon=True).start()
    return future


def check_broker(timeout=BROKER_TIMEOUT):
    """Connect to the broker, giving up after ``timeout`` seconds whatever the transport does.

    At most one connection attempt per broker is under way: while the broker
    hangs, later checks wait on that one instead of queueing more behind it.
    """
    from delivery.broker import celery_app

    url = celery_app().conf.broker_url
    with _in_flight_lock:
        future = _in_flight.get(url)
        if future is None or future.done():
            future = _in_flight[url] = _attempt(_connect_broker)
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
        except Exception:  # any failure makes the service unhealthy; hosts and users only in the log
            logger.exception("health check failed", extra={"check": name})
            results[name] = {"ok": False, "error": f"{name} unavailable"}
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


def _authorized(request):
    token = getattr(settings, "HOOKPLATFORM_METRICS_TOKEN", "")
    if not token:
        return True
    presented = request.headers.get("Authorization", "")
    return hmac.compare_digest(presented.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def metrics(request):
    if not _authorized(request):
        response = HttpResponse("Unauthorized: send Authorization: Bearer <token>.\n", status=401,
                                content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    from prometheus_client import CONTENT_TYPE_LATEST

    from delivery.metrics import exposition

    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
]
