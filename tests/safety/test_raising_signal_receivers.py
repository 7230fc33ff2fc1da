"""M6: a host's signal receiver that raises loses nothing, duplicates nothing and breaks no API call."""

import pytest

from delivery import publish, signals
from delivery.models import Delivery
from subscriptions import create_endpoint, ensure_event_type
from subscriptions.models import Endpoint
from tests.api.conftest import client_with
from tests.probe import recorder
from tests.worker import wait_until


@pytest.mark.e2e
def test_a_raising_receiver_in_the_worker_loses_no_batch_mate(own_workers, receiver):
    """M6: one event to a fast and a slow endpoint; every receiver of delivery_succeeded raises first."""
    worker = own_workers(extra_env={"PROBE_SIGNALS_RAISE": "1"})
    ensure_event_type("m6.tick")
    fast = create_endpoint("org_m6", url=receiver.url("/fast"))
    slow = create_endpoint("org_m6", url=receiver.url("/slow"))
    receiver.delays["/slow"] = 0.5  # recorded late, after the batch's fast outcome and its signal
    event = publish("m6.tick", {"n": 1}, tenant="org_m6")

    wait_until(lambda: Delivery.objects.filter(event=event, status="succeeded").count() == 2, timeout=10,
               what="both deliveries recorded (the slow one too, after the first signal raised)")
    for endpoint in (fast, slow):
        wait_until(lambda e=endpoint: recorder.recorded("delivery_succeeded", event=event.id, endpoint=e.pk),
                   timeout=5, what="the other receivers heard the signal")
    assert len(receiver.to("/fast")) == len(receiver.to("/slow")) == 1
    assert "signal receiver raise_always raised" in worker.output()  # logged, with its traceback


def test_a_raising_receiver_does_not_roll_back_an_api_disable(transactional_db):
    """M6: PATCH disabled=true with a tenant key answers 200 and stays disabled while a receiver raises."""
    from subscriptions.api_keys import create_api_key
    from subscriptions.tenants import create_tenant

    tenant = create_tenant("m6_api")
    client = client_with(create_api_key(tenant=tenant, name="m6")[1])
    endpoint = create_endpoint(tenant, url="https://127.0.0.1:9/hook")
    signals.endpoint_disabled.connect(recorder.raise_always, dispatch_uid="m6-api")
    try:
        response = client.patch(f"/api/v1/tenants/{tenant.uid}/endpoints/{endpoint.pk}/", {"disabled": True},
                                format="json")
    finally:
        signals.endpoint_disabled.disconnect(dispatch_uid="m6-api")
    assert response.status_code == 200, response.content
    assert response.json()["disabled"] is True
    assert Endpoint.objects.get(pk=endpoint.pk).disabled
