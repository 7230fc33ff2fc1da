"""One-time links: POST portal-sessions/ with a platform key, then a browser opens the link once."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from delivery.portal.access import SESSION_KEY
from subscriptions.api_keys import create_api_key
from subscriptions.models import PortalLink
from subscriptions.portal_links import token_hash
from subscriptions.tenants import create_tenant

pytestmark = pytest.mark.django_db


def _api(key):
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def platform():
    return _api(create_api_key(name="platform")[1])


@pytest.fixture
def acme():
    return create_tenant("acme", name="Acme")


def _link(platform, uid="acme", **body):
    answer = platform.post(f"/api/v1/tenants/{uid}/portal-sessions/", body, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def _path(url):
    return urlsplit(url).path


def test_platform_key_gets_a_link_that_expires_in_ten_minutes(platform, acme):
    before = timezone.now()
    answer = _link(platform)
    assert answer["url"].startswith("http://localhost/webhooks/enter/hpl_")
    expires_at = parse_datetime(answer["expires_at"])
    assert before + timedelta(minutes=10) <= expires_at <= timezone.now() + timedelta(minutes=10)


def test_only_the_tokens_hash_is_stored(platform, acme):
    token = _path(_link(platform)["url"]).rstrip("/").rsplit("/", 1)[1]
    [link] = PortalLink.objects.all()
    assert link.token_hash == token_hash(token) and token not in str(PortalLink.objects.values().get())


def test_tenant_keys_and_anonymous_callers_get_no_link(acme):
    tenant_key = _api(create_api_key(tenant=acme, name="acme")[1])
    assert tenant_key.post("/api/v1/tenants/acme/portal-sessions/", {}, format="json").status_code == 403
    assert APIClient().post("/api/v1/tenants/acme/portal-sessions/", {}, format="json").status_code in (401, 403)
    assert not PortalLink.objects.exists()


@pytest.mark.parametrize("body, field", [({"expires_in": 0}, "expires_in"), ({"expires_in": 86401}, "expires_in"),
                                         ({"expires_in": "soon"}, "expires_in"), ({"read_only": "maybe"}, "read_only")])
def test_bad_options_answer_400_naming_the_field(platform, acme, body, field):
    answer = platform.post("/api/v1/tenants/acme/portal-sessions/", body, format="json")
    assert answer.status_code == 400 and field in answer.json()


def test_unknown_tenant_answers_404(platform):
    assert platform.post("/api/v1/tenants/nobody/portal-sessions/", {}, format="json").status_code == 404


def test_opening_the_link_signs_into_that_tenants_portal_only(client, platform, acme):
    create_tenant("globex")
    answer = client.post(_path(_link(platform)["url"]))
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:endpoints")
    assert answer["Referrer-Policy"] == "no-referrer"
    page = client.get(reverse("portal:endpoints"))
    assert page.status_code == 200 and page.wsgi_request.portal_tenant.uid == "acme"
    assert client.session[SESSION_KEY]["tenant"] == "acme"
    # Not the Django admin, nor any user of the host.
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_opening_the_link_shows_a_page_that_posts_it_and_consumes_nothing(client, platform, acme):
    """A link previewer's GET or HEAD leaves the link for the person: only the page's POST redeems it."""
    path = _path(_link(platform)["url"])
    assert client.head(path).status_code == 200
    for _ in range(3):
        page = client.get(path)
        text = page.content.decode()
        assert page.status_code == 200 and page["Referrer-Policy"] == "no-referrer"
        assert re.search(r'<form method="post" id="portal-enter"', text) and ">Continue</button>" in text
        assert 'name="csrfmiddlewaretoken"' in text and "/static/portal/enter.js" in text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "no inline script (a strict CSP forbids it)"
        assert SESSION_KEY not in client.session
    assert PortalLink.objects.get().used_at is None
    assert client.post(path).status_code == 302 and client.session[SESSION_KEY]["tenant"] == "acme"


def test_the_post_needs_the_pages_csrf_token(platform, acme):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    path = _path(_link(platform)["url"])
    assert browser.post(path).status_code == 403 and PortalLink.objects.get().used_at is None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(path).content.decode())[1]
    assert browser.post(path, {"csrfmiddlewaretoken": token}).status_code == 302


def test_a_used_link_is_refused(client, platform, acme):
    path = _path(_link(platform)["url"])
    assert client.post(path).status_code == 302
    other_browser = client.__class__()
    answer = other_browser.post(path)
    assert answer.status_code == 403 and b"used, expired or unknown" in answer.content
    assert other_browser.get(reverse("portal:endpoints")).status_code == 403


def test_an_expired_link_is_refused(client, platform, acme):
    path = _path(_link(platform)["url"])
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(path).status_code == 403
    assert client.get(reverse("portal:endpoints")).status_code == 403


def test_an_unknown_or_forged_link_is_refused(client, acme):
    for token in ("hpl_" + "A" * 43, "whatever", "hpl_" + "x" * 200):
        assert client.post(reverse("portal:enter", args=[token])).status_code == 403


def test_a_link_opens_its_own_tenant_not_another(client, platform, acme):
    create_tenant("globex")
    client.post(_path(_link(platform, "globex")["url"]))
    assert client.get(reverse("portal:endpoints")).wsgi_request.portal_tenant.uid == "globex"


def test_the_portal_session_expires(client, platform, acme, settings):
    settings.WEBHOOKS_PORTAL_SESSION_AGE = 60
    client.post(_path(_link(platform)["url"]))
    session = client.session
    session[SESSION_KEY]["expires"] -= 61
    session.save()
    assert client.get(reverse("portal:endpoints")).status_code == 403


def test_read_only_link_starts_a_read_only_session(client, platform, acme):
    client.post(_path(_link(platform, read_only=True)["url"]))
    answer = client.get(reverse("portal:endpoints"))
    assert answer.wsgi_request.portal_read_only is True and b"Read-only" in answer.content


def test_custom_expiry_is_kept(platform, acme):
    answer = _link(platform, expires_in=30)
    assert parse_datetime(answer["expires_at"]) <= timezone.now() + timedelta(seconds=30)


def test_the_route_is_in_the_openapi_document(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/tenants/{uid}/portal-sessions/"]["post"]
    assert "201" in operation["responses"]
