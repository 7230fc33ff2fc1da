"""Fixtures of the portal's tests: the admin tests' small history (two tenants, endpoints, deliveries, attempts)."""

import pytest

from subscriptions.models import Tenant
from tests.admin.conftest import history  # noqa: F401 (a fixture, shared with the console's tests)


@pytest.fixture
def tenant(history):  # noqa: F811
    """org_1, the tenant whose portal the tests open; org_2 owns ``history["other"]``."""
    return Tenant.objects.get(uid="org_1")
