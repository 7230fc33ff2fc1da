"""Who may open the portal: the host's function, a portal session; 403 otherwise; read-only refuses writes."""

import time

import pytest
from django.urls import reverse

from delivery.portal.access import SESSION_KEY
from subscriptions.tenants import resolve_tenant

pytestmark = pytest.mark.django_db


def _start_session(client, uid, *, read_only=False, expires_in=60):
    """What opening a one-time link of ``uid``'s (an existing tenant) leaves in the session."""
    resolve_tenant(uid)
    session = client.session
    session[SESSION_KEY] = {"tenant": uid, "read_only": read_only, "expires": time.time() + expires_in}
    session.save()


def test_without_a_tenant_the_portal_answers_403(client):
    answer = client.get(reverse("portal:endpoints"))
    assert answer.status_code == 403
    assert b"You have no access" in answer.content


def test_host_function_answering_none_is_403(client, host_portal):
    assert client.get(reverse("portal:endpoints")).status_code == 403  # not signed in: None


def test_host_function_opens_the_signed_in_users_tenant(alice, alice_endpoint, bob_endpoint):
    answer = alice.get(reverse("portal:endpoints"))
    assert answer.status_code == 200
    assert answer.wsgi_request.portal_tenant.uid == "org_alice"
    assert answer.wsgi_request.portal_read_only is False
    assert b"alice.example.com" in answer.content and b"bob.example.com" not in answer.content


def test_portal_session_opens_its_tenant(client, alice_endpoint):
    _start_session(client, "org_alice")
    answer = client.get(reverse("portal:endpoints"))
    assert answer.status_code == 200 and b"alice.example.com" in answer.content


def test_expired_portal_session_is_403_and_dropped(client):
    _start_session(client, "org_alice", expires_in=-1)
    assert client.get(reverse("portal:endpoints")).status_code == 403
    assert SESSION_KEY not in client.session


def test_read_only_session_reads_but_refuses_writes(client):
    _start_session(client, "org_alice", read_only=True)
    assert client.get(reverse("portal:endpoints")).status_code == 200
    answer = client.post(reverse("portal:endpoints"))
    assert answer.status_code == 403 and b"can only read" in answer.content


def test_nobody_may_frame_the_portal_by_default(alice):
    answer = alice.get(reverse("portal:endpoints"))
    assert answer["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["Cache-Control"] == "private, no-store"


def test_listed_origins_may_frame_the_portal(alice, settings):
    settings.WEBHOOKS_PORTAL_FRAME_ANCESTORS = "https://app.example.com https://admin.example.com"
    answer = alice.get(reverse("portal:endpoints"))
    assert answer["Content-Security-Policy"] == "frame-ancestors https://app.example.com https://admin.example.com"
    assert "X-Frame-Options" not in answer


def test_refusals_carry_the_framing_headers_too(client):
    assert client.get(reverse("portal:endpoints"))["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_base_template_brands_and_navigates(alice, settings):
    settings.WEBHOOKS_PORTAL_PRODUCT_NAME = "Acme Cloud"
    settings.WEBHOOKS_PORTAL_LOGO_URL = "https://cdn.acme.example/logo.svg"
    settings.WEBHOOKS_PORTAL_ACCENT_COLOUR = "#aa3300"
    page = alice.get(reverse("portal:endpoints")).content.decode()
    assert "Acme Cloud" in page and 'src="https://cdn.acme.example/logo.svg"' in page and "--accent: #aa3300" in page
    for name in ("portal:endpoints", "portal:deliveries", "portal:catalogue"):
        assert f'href="{reverse(name)}"' in page
    assert '<main id="main"' in page and "<nav" in page and 'aria-current="page"' in page


@pytest.mark.parametrize("name, value", [
    ("WEBHOOKS_PORTAL_ACCENT_COLOUR", "red;}body{"),
    ("WEBHOOKS_PORTAL_FRAME_ANCESTORS", "https://a.example; script-src *"),
    ("WEBHOOKS_PORTAL_LOGO_URL", 'javascript:alert(1)'),
    ("WEBHOOKS_PORTAL_TENANT", "not a path"),
])
def test_bad_portal_settings_are_refused(settings, name, value):
    from subscriptions import conf

    setattr(settings, name, value)
    assert [problem.knob.name for problem in conf.problems()] == [name]


def test_a_deleted_tenants_portal_session_opens_nothing(client, alice_endpoint):
    from subscriptions.models import Tenant

    _start_session(client, "org_alice")
    Tenant.objects.filter(uid="org_alice").delete()  # with its endpoints
    assert client.get(reverse("portal:endpoints")).status_code == 403
    assert not Tenant.objects.filter(uid="org_alice").exists()


def test_the_host_wins_over_a_link_session(alice):
    _start_session(alice, "org_bob")
    answer = alice.get(reverse("portal:endpoints"))
    assert answer.wsgi_request.portal_tenant.uid == "org_alice" and answer.wsgi_request.portal_via == "host"


def test_portal_mixin_guards_a_class_based_view(rf, db):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse
    from django.views import View

    from delivery.portal.access import PortalMixin
    from subscriptions.tenants import create_tenant

    class Page(PortalMixin, View):
        def get(self, request):
            return HttpResponse(request.portal_tenant.uid)

    def request(method, session):
        made = getattr(rf, method)("/")
        made.user, made.session = AnonymousUser(), session
        return made

    assert Page.as_view()(request("get", SessionStore())).status_code == 403
    create_tenant("org_carol")
    session = SessionStore()
    session[SESSION_KEY] = {"tenant": "org_carol", "read_only": True, "expires": time.time() + 60}
    answer = Page.as_view()(request("get", session))
    assert answer.status_code == 200 and answer.content == b"org_carol"
    assert answer["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert Page.as_view()(request("post", session)).status_code == 403  # read-only
