"""M7 (windows) and L15 through the API with a tenant key: recover, stats and retry stay bounded and honest."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery.models import Delivery
from subscriptions import disable_endpoint
from tests.api.conftest import make_traffic

BASE = "/api/v1/tenants/acme/"
Status = Delivery.Status


def _iso(delta):
    return (timezone.now() - delta).isoformat()


def test_recover_refuses_a_window_beyond_the_limit(acme_key, acme_traffic):
    """M7: a tenant key asking to recover since the year 1 (or 8 days back) gets a 400 on since."""
    endpoint, _ = acme_traffic
    for since in ("0001-01-01T00:00:00Z", _iso(timedelta(days=8))):
        response = acme_key.post(f"{BASE}endpoints/{endpoint.pk}/recover/", {"since": since}, format="json")
        assert response.status_code == 400 and "since" in response.json(), response.json()
    assert not Delivery.objects.exclude(status=Status.FAILED).exists()


def test_recover_costs_the_same_for_3_or_130_failed_deliveries(acme_key, acme, settings):
    """M7: the request does a fixed number of queries; the dispatcher sends the deliveries, due now."""
    settings.WEBHOOKS_BATCH_SIZE = 50
    acme_key.get(f"{BASE}endpoints/")  # the key's last_used_at is written now, not during a measure

    def queries_to_recover(deliveries):
        endpoint, _ = make_traffic(acme, deliveries=deliveries, attempts_each=0)
        with CaptureQueriesContext(connection) as queries:
            response = acme_key.post(f"{BASE}endpoints/{endpoint.pk}/recover/",
                                     {"since": _iso(timedelta(days=1))}, format="json")
        assert response.status_code == 202 and response.json()["count"] == deliveries
        due = Delivery.objects.filter(endpoint=endpoint, status=Status.RETRYING, next_attempt_at__lte=timezone.now())
        assert due.count() == deliveries
        return len(queries)

    assert queries_to_recover(130) == queries_to_recover(3)


def test_stats_refuses_a_window_beyond_30_days(acme_key, acme_traffic):
    """M7: stats since 0001 or 31 days back is a 400 on since; 29 days back is answered."""
    endpoint, _ = acme_traffic
    url = f"{BASE}endpoints/{endpoint.pk}/stats/"
    for since in ("0001-01-01T00:00:00Z", _iso(timedelta(days=31))):
        response = acme_key.get(url, {"since": since})
        assert response.status_code == 400 and "since" in response.json(), response.json()
    answered = acme_key.get(url, {"since": _iso(timedelta(days=29))})
    assert answered.status_code == 200 and answered.json()["attempts"]["total"] == 6


def test_stats_latency_is_taken_over_the_most_recent_attempts(acme, settings, monkeypatch):
    """M7: percentiles read a bounded sample (the newest attempts), whatever the window holds."""
    from delivery import selectors

    monkeypatch.setattr(selectors, "LATENCY_SAMPLE", 2)
    endpoint, _ = make_traffic(acme, deliveries=3, attempts_each=2)  # durations 10 and 20, newest last
    latency = selectors.endpoint_stats(endpoint)["latency_ms"]
    assert latency == {"p50": 10, "p90": 20, "p95": 20, "p99": 20, "max": 20}


def test_retry_of_a_disabled_endpoints_delivery_is_refused(acme_key, acme_traffic):
    """L15: 409 with a clear message; the finished delivery stays as it was."""
    endpoint, deliveries = acme_traffic
    Delivery.objects.filter(pk=deliveries[0].pk).update(status=Status.SUCCEEDED, finished_at=timezone.now())
    disable_endpoint(endpoint, reason="by hand")
    response = acme_key.post(f"{BASE}deliveries/{deliveries[0].pk}/retry/")
    assert response.status_code == 409 and "disabled" in str(response.json()), response.json()
    recover = acme_key.post(f"{BASE}endpoints/{endpoint.pk}/recover/", {"since": _iso(timedelta(days=1))},
                            format="json")
    assert recover.status_code == 409 and "disabled" in str(recover.json())
    statuses = set(Delivery.objects.filter(endpoint=endpoint).values_list("status", flat=True))
    assert statuses == {Status.SUCCEEDED, Status.FAILED}


@pytest.mark.parametrize("finished", [Status.SUCCEEDED, Status.FAILED, Status.CANCELLED])
def test_a_resend_that_meets_a_disabled_endpoint_keeps_its_finished_state(acme_traffic, handed_over, finished,
                                                                          django_capture_on_commit_callbacks):
    """L15: resent, then the endpoint is disabled before a worker takes it: it is not parked as waiting."""
    from delivery.operations import retry_delivery
    from delivery.sending import deliver_batch
    from subscriptions import enable_endpoint

    endpoint, deliveries = acme_traffic
    delivery = deliveries[0]
    Delivery.objects.filter(pk=delivery.pk).update(status=finished, finished_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        retry_delivery(delivery)
    [(_, ids, token, _)] = [call for call in handed_over if call[0] == "batch"]
    disable_endpoint(endpoint, reason="by hand")
    deliver_batch(ids, token, "manual")
    enable_endpoint(endpoint)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at, delivery.lease_token) == (finished, None, None)
