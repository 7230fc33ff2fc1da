"""M4: a tenant's endpoints are capped (each one multiplies every publish), in the API, Python and under races."""

import threading

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from subscriptions import create_endpoint
from subscriptions.api_keys import create_api_key
from subscriptions.models import Endpoint
from subscriptions.tenants import create_tenant

ENGINE = django_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
URL = "https://127.0.0.1:8443/hook"


@pytest.fixture(autouse=True)
def cap_of_three(settings):
    settings.WEBHOOKS_MAX_ENDPOINTS_PER_TENANT = 3


def tenant_client(tenant):
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_api_key(tenant=tenant, name=tenant.uid)[1]}")
    return client


@pytest.mark.django_db
def test_a_tenant_key_cannot_create_endpoints_beyond_the_cap():
    """M4: the fourth create answers 400 with a clear message; another tenant is not affected."""
    acme, globex = create_tenant("acme", name="Acme"), create_tenant("globex", name="Globex")
    client = tenant_client(acme)
    statuses = [client.post("/api/v1/tenants/acme/endpoints/", {"url": URL}, format="json").status_code
                for _ in range(3)]
    refused = client.post("/api/v1/tenants/acme/endpoints/", {"url": URL}, format="json")
    assert statuses == [201, 201, 201] and refused.status_code == 400
    assert "3 endpoints, the most allowed" in str(refused.json())
    assert Endpoint.objects.filter(tenant=acme).count() == 3
    assert tenant_client(globex).post("/api/v1/tenants/globex/endpoints/", {"url": URL},
                                      format="json").status_code == 201


@pytest.mark.django_db
def test_the_python_api_obeys_the_cap_and_a_deleted_endpoint_frees_a_place(settings):
    acme = create_tenant("acme", name="Acme")
    made = [create_endpoint(acme, url=URL) for _ in range(3)]
    with pytest.raises(ValidationError, match="most allowed"):
        create_endpoint(acme, url=URL)
    made[0].delete()
    create_endpoint(acme, url=URL)
    settings.WEBHOOKS_MAX_ENDPOINTS_PER_TENANT = 0  # no cap
    create_endpoint(acme, url=URL)


@pytest.mark.django_db
def test_the_admin_add_form_obeys_the_cap(admin_client):
    """M4: staff adding a fourth endpoint get the message on the form, not a 500."""
    acme = create_tenant("acme", name="Acme")
    for _ in range(3):
        create_endpoint(acme, url=URL)
    refused = admin_client.post(reverse("admin:hookplatform_subscriptions_endpoint_add"),
                                {"tenant": acme.pk, "url": URL, "event_types": "[]", "metadata": "{}"})
    assert refused.status_code == 200 and b"3 endpoints, the most allowed" in refused.content
    assert Endpoint.objects.filter(tenant=acme).count() == 3


@pytest.mark.skipif(ENGINE != "postgresql", reason="row locks are PostgreSQL's; SQLite serialises writers")
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_cannot_overshoot_the_cap():
    """M4: ten creates at once for a tenant with a cap of 3 leave exactly 3 endpoints."""
    acme = create_tenant("acme", name="Acme")
    barrier, outcomes = threading.Barrier(10), []

    def create():
        try:
            barrier.wait(5)
            create_endpoint(acme, url=URL)
            outcomes.append("created")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["created"] * 3 + ["refused"] * 7
    assert Endpoint.objects.filter(tenant=acme).count() == 3
