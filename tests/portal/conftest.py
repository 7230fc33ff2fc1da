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
