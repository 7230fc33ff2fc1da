"""Fixtures of the portal's tests: the admin tests' small history (two tenants, endpoints, deliveries, attempts)."""

import pytest

from subscriptions.models import Tenant
from tests.admin.conftest import history  # noqa: F401 (a fixture, shared with the console's tests)


@pytest.fixture
def tenant(history):  # noqa: F811
    """org_1, the tenant whose portal the tests open; org_2 owns ``history["other"]``."""
    return Tenant.objects.get(uid="org_1")


@pytest.fixture
def portal(client):
    """``portal(read_only=False)``: a test client in org_1's portal (the stand-in access of ``log_urlconf``)."""

    def enter(read_only=False):
        client.defaults.update({"HTTP_X_TEST_TENANT": "org_1", "HTTP_X_TEST_READ_ONLY": "1" if read_only else "0"})
        return client

    return enter
