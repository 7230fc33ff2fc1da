"""A tenant key acting on another tenant's anything gets 404, and nothing changes."""

import pytest
from django.forms.models import model_to_dict

from delivery.models import Attempt, Delivery, Event
from subscriptions.models import Endpoint, EndpointSecret, Tenant

pytestmark = pytest.mark.django_db


def snapshot(tenant):
    """Everything of ``tenant`` a request could change."""
    return {
        "tenant": model_to_dict(Tenant.objects.get(pk=tenant.pk)),
        "endpoints": [model_to_dict(e) for e in Endpoint.objects.filter(tenant=tenant).order_by("pk")],
        "secrets": sorted(EndpointSecret.objects.filter(endpoint__tenant=tenant).values_list("key", "expires_at")),
        "events": sorted(Event.objects.filter(tenant=tenant).values_list("id", flat=True)),
        "deliveries": sorted(Delivery.objects.filter(tenant=tenant).values_list(
            "id", "status", "attempt_count", "lease_token", "next_attempt_at")),
        "attempts": Attempt.objects.filter(endpoint__tenant=tenant).count(),
    }


def object_requests(uid, endpoint, delivery):
    """Every call on one endpoint, event and delivery, under the tenant ``uid`` in the URL."""
    ep = f"/api/v1/tenants/{uid}/endpoints/{endpoint.pk}"
    dl = f"/api/v1/tenants/{uid}/deliveries/{delivery.pk}"
    return [
        ("get", f"{ep}/", None),
        ("patch", f"{ep}/", {"url": "https://127.0.0.1:9/evil", "disabled": True}),
        ("delete", f"{ep}/", None),
        ("get", f"{ep}/secret/", None),
        ("post", f"{ep}/secret/rotate/", None),
        ("post", f"{ep}/test/", {"event_type": "invoice.paid"}),
        ("post", f"{ep}/recover/", {"since": "2000-01-01T00:00:00Z"}),
        ("get", f"{ep}/stats/", None),
        ("get", f"{ep}/attempts/", None),
        ("get", f"/api/v1/tenants/{uid}/events/{delivery.event_id}/", None),
        ("get", f"{dl}/", None),
        ("get", f"{dl}/attempts/", None),
        ("post", f"{dl}/retry/", None),
    ]


def tenant_requests(uid):
    """Every call on the tenant ``uid`` itself and its collections."""
    return [
        ("get", f"/api/v1/tenants/{uid}/", None),
        ("patch", f"/api/v1/tenants/{uid}/", {"name": "pwned"}),
        ("delete", f"/api/v1/tenants/{uid}/", None),
        ("get", f"/api/v1/tenants/{uid}/endpoints/", None),
        ("post", f"/api/v1/tenants/{uid}/endpoints/", {"url": "https://127.0.0.1:9/evil"}),
        ("get", f"/api/v1/tenants/{uid}/events/", None),
        ("post", f"/api/v1/tenants/{uid}/events/", {"event_type": "invoice.paid", "data": {}}),
        ("get", f"/api/v1/tenants/{uid}/deliveries/", None),
    ]


def test_tenant_key_gets_404_on_everything_of_another_tenant(acme_key, acme_traffic, globex_traffic):
    endpoint, deliveries = globex_traffic
    globex = endpoint.tenant
    before = snapshot(globex)
    # The other tenant's URLs, and the other tenant's ids under one's own tenant.
    requests = tenant_requests("globex") + object_requests("globex", endpoint, deliveries[0])
    requests += object_requests("acme", endpoint, deliveries[0])
    for method, url, body in requests:
        response = getattr(acme_key, method)(url, body, format="json") if body else getattr(acme_key, method)(url)
        assert response.status_code == 404, (method, url, response.status_code, response.content)
        assert set(response.json()) == {"detail"}
    assert snapshot(globex) == before


def test_filters_cannot_reach_another_tenant(acme_key, acme_traffic, globex_traffic):
    endpoint, deliveries = globex_traffic
    listed = acme_key.get("/api/v1/tenants/acme/deliveries/", {"endpoint": endpoint.pk}).json()
    assert listed["results"] == []
    listed = acme_key.get("/api/v1/tenants/acme/deliveries/", {"event": deliveries[0].event_id}).json()
    assert listed["results"] == []


def test_tenant_key_works_on_its_own_tenant(acme_key, acme_traffic, globex_traffic):
    endpoint, deliveries = acme_traffic
    assert acme_key.get(f"/api/v1/tenants/acme/endpoints/{endpoint.pk}/").status_code == 200
    ids = {d["id"] for d in acme_key.get("/api/v1/tenants/acme/deliveries/").json()["results"]}
    assert ids == {d.pk for d in deliveries}
    assert acme_key.post(f"/api/v1/tenants/acme/deliveries/{deliveries[0].pk}/retry/").status_code == 202
    assert acme_key.post(f"/api/v1/tenants/acme/endpoints/{endpoint.pk}/secret/rotate/").status_code == 200
