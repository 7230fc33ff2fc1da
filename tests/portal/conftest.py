"""Portal fixtures: two tenants, each signed in through the host's own login."""

import pytest
from django.contrib.auth.models import User

from subscriptions import create_endpoint, ensure_event_type
from subscriptions.tenants import resolve_tenant

HOST_TENANT = "tests.portal.hosts.tenant_of_user"


@pytest.fixture
def host_portal(settings):
    """The portal opens for the signed-in user's organisation (org_<username>)."""
    settings.WEBHOOKS_PORTAL_TENANT = HOST_TENANT


def _signed_in(client, username):
    client.force_login(User.objects.create_user(username=username))
    return client


@pytest.fixture
def alice(db, client, host_portal):
    """A browser signed in as alice, who owns tenant org_alice."""
    return _signed_in(client, "alice")


@pytest.fixture
def catalogue(db):
    ensure_event_type("invoice.paid", description="An invoice was paid.",
                      schema={"type": "object", "properties": {"invoice": {"type": "string", "examples": ["in_1"]},
                                                               "amount": {"type": "integer"}}})
    ensure_event_type("call.ended", description="A call ended.")


@pytest.fixture
def alice_endpoint(db, catalogue):
    return create_endpoint(resolve_tenant("org_alice"), url="https://alice.example.com/hooks",
                           event_types=["invoice.paid"], description="Billing",
                           headers={"Authorization": "Bearer alice-token"})


@pytest.fixture
def bob_endpoint(db, catalogue):
    return create_endpoint(resolve_tenant("org_bob"), url="https://bob.example.com/hooks",
                           description="Bob's")


# --- The log's tests: the admin tests' small history (org_1's endpoints good and bad, org_2's other) ---

from tests.admin.conftest import history  # noqa: E402, F401 (a fixture, shared with the console's tests)


@pytest.fixture
def tenant(history):  # noqa: F811
    """org_1, the tenant whose portal the log's tests open; org_2 owns ``history["other"]``."""
    from subscriptions.models import Tenant

    return Tenant.objects.get(uid="org_1")


@pytest.fixture
def portal(client):
    """``portal(read_only=False)``: a test client in org_1's portal, by a portal session."""
    import time

    from delivery.portal.access import SESSION_KEY

    def enter(read_only=False):
        session = client.session
        session[SESSION_KEY] = {"tenant": "org_1", "read_only": read_only, "expires": time.time() + 600}
        session.save()
        return client

    return enter
