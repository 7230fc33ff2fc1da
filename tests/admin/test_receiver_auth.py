"""The console edits an endpoint's mTLS and OAuth2 settings through the domain functions; the TLS key and
the OAuth2 client secret never show on its pages but on an explicit, audited reveal."""

import pytest
import trustme
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from subscriptions import receiver_auth
from subscriptions.models import Endpoint, SecretAccess, Tenant

CA = trustme.CA()
CLIENT = CA.issue_cert("client@example.com")
CERT, KEY = CLIENT.cert_chain_pems[0].bytes().decode(), CLIENT.private_key_pem.bytes().decode()
SECRET = "cs-adm1n-s3cret"
FORM = {"url": "https://127.0.0.1:8443/in", "description": "", "event_types": "[]", "metadata": "{}",
        "rate_limit": "", "tls_client_cert": CERT, "tls_ca_bundle": "", "oauth2_token_url": "https://127.0.0.1:9443/t",
        "oauth2_client_id": "hooks", "oauth2_scope": "", "oauth2_audience": ""}


@pytest.fixture
def created(admin_client, db):
    tenant = Tenant.objects.create(uid="org_a")
    response = admin_client.post(reverse("admin:hookplatform_subscriptions_endpoint_add"), {
        **FORM, "tenant": tenant.pk, "replace_tls_client_key": KEY, "replace_oauth2_client_secret": SECRET})
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Endpoint.objects.get()


def test_saved_through_the_domain_and_never_shown_on_the_change_page(admin_client, created):
    assert receiver_auth.tls_to_send(created)[1] == KEY
    assert receiver_auth.oauth2_to_send(created)["client_secret"] == SECRET
    page = admin_client.get(reverse("admin:hookplatform_subscriptions_endpoint_change", args=[created.pk]))
    text = page.content.decode()
    assert "PRIVATE KEY" not in text and SECRET not in text and "TLS client key and OAuth2 client secret set" in text


def test_a_change_that_leaves_the_secrets_empty_keeps_them_and_a_mismatched_key_is_a_form_error(admin_client,
                                                                                               created):
    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[created.pk])
    response = admin_client.post(change, {**FORM, "oauth2_scope": "write"})
    assert response.status_code == 302
    created.refresh_from_db()
    assert receiver_auth.oauth2_to_send(created) | {} == {"token_url": "https://127.0.0.1:9443/t", "client_id": "hooks",
                                                          "client_secret": SECRET, "scope": "write"}
    assert receiver_auth.tls_to_send(created)[1] == KEY
    other = CA.issue_cert("other@example.com").private_key_pem.bytes().decode()
    refused = admin_client.post(change, {**FORM, "replace_tls_client_key": other})
    assert refused.status_code == 200 and "tls_client_key is not the private key" in refused.content.decode()


def test_the_reveal_needs_the_permission_and_a_post_and_is_audited(admin_client, client, created):
    url = reverse("admin:hookplatform_subscriptions_endpoint_credentials", args=[created.pk])
    assert KEY not in admin_client.get(url).content.decode()
    shown = admin_client.post(url).content.decode()
    assert SECRET in shown and KEY.splitlines()[1] in shown
    assert SecretAccess.objects.filter(endpoint=created, action="reveal", actor__contains="admin").exists()
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_endpoint"))
    client.force_login(viewer)
    assert client.post(url).status_code == 403
