"""The portal's endpoint pages show and edit issue 17's fields through the domain functions; the TLS key and
the OAuth2 client secret are write-only (an empty box keeps them) and never on a page."""

import re

import pytest
import trustme
from django.urls import reverse

from subscriptions import receiver_auth
from subscriptions.models import Endpoint

pytestmark = pytest.mark.django_db

CA = trustme.CA()
CLIENT = CA.issue_cert("client@example.com")
CERT, KEY = CLIENT.cert_chain_pems[0].bytes().decode(), CLIENT.private_key_pem.bytes().decode()
SECRET = "cs-p0rtal-s3cret"
FORM = {"url": "https://127.0.0.1:8443/in", "signature_scheme": "svix", "retry_schedule": "[10, 60]",
        "retry_on_4xx": "", "timeout": "7.5", "fallback_url": "https://127.0.0.1:8444/fallback",
        "tls_client_cert": CERT, "tls_ca_bundle": CA.cert_pem.bytes().decode(),
        "oauth2_token_url": "https://127.0.0.1:9443/t", "oauth2_client_id": "hooks", "oauth2_scope": "send",
        "oauth2_audience": ""}


@pytest.fixture
def created(alice, catalogue):
    answer = alice.post(reverse("portal:endpoint-add"), {
        **FORM, "replace_tls_client_key": KEY, "replace_oauth2_client_secret": SECRET})
    assert answer.status_code == 302, answer.content.decode()
    return Endpoint.objects.get(url=FORM["url"])


def test_the_add_page_groups_the_fields_in_fieldsets_and_an_advanced_section(alice, catalogue):
    page = alice.get(reverse("portal:endpoint-add")).content.decode()
    assert "<legend>Delivery policy</legend>" in page and "<legend>Mutual TLS</legend>" in page
    assert "<legend>OAuth2 client credentials</legend>" in page
    assert "<details>" in page and "<summary>Advanced: authentication to your receiver</summary>" in page
    for label in ("Signature scheme", "Retry schedule", "Retry on 4xx", "Timeout", "Fallback URL",
                  "TLS client certificate", "Replace TLS client key", "TLS CA bundle", "OAuth2 token URL",
                  "Replace OAuth2 client secret"):
        assert f">{label}</label>" in page, label
    assert re.search(r'<input type="checkbox" name="retry_on_4xx"[^>]* checked', page)


def test_added_through_the_domain_with_every_field(created):
    assert (created.signature_scheme, created.retry_schedule, created.retry_on_4xx, created.timeout) == (
        "svix", [10, 60], False, 7.5)
    assert created.fallback_url == FORM["fallback_url"]
    assert receiver_auth.tls_to_send(created) == (CERT, KEY, FORM["tls_ca_bundle"])
    assert receiver_auth.oauth2_to_send(created) == {"token_url": "https://127.0.0.1:9443/t", "client_id": "hooks",
                                                      "scope": "send", "client_secret": SECRET}


def test_the_detail_and_edit_pages_show_the_fields_but_never_the_key_or_the_client_secret(alice, created):
    detail = alice.get(reverse("portal:endpoint", args=[created.pk])).content.decode()
    edit = alice.get(reverse("portal:endpoint-edit", args=[created.pk])).content.decode()
    assert "<code>svix</code>" in detail and "10 s, 60 s" in detail and "7.5 s" in detail
    assert "https://127.0.0.1:9443/t" in detail and "the client secret is never shown" in detail
    assert 'value="https://127.0.0.1:9443/t"' in edit and 'value="hooks"' in edit and "[10, 60]" in edit
    assert "A client key is stored (never shown)." in edit and "A client secret is stored (never shown)." in edit
    for page in (detail, edit):
        assert "PRIVATE KEY" not in page and SECRET not in page


def test_an_edit_with_the_secret_boxes_empty_keeps_the_key_and_the_client_secret(alice, created):
    answer = alice.post(reverse("portal:endpoint-edit", args=[created.pk]),
                        {**FORM, "oauth2_scope": "write", "retry_on_4xx": "on", "signature_scheme": "standard"})
    assert answer.status_code == 302
    created.refresh_from_db()
    assert created.retry_on_4xx and created.signature_scheme == "standard"
    assert receiver_auth.tls_to_send(created)[1] == KEY
    assert receiver_auth.oauth2_to_send(created)["client_secret"] == SECRET
    assert receiver_auth.oauth2_to_send(created)["scope"] == "write"


def test_emptying_the_certificate_and_the_token_url_removes_them(alice, created):
    answer = alice.post(reverse("portal:endpoint-edit", args=[created.pk]),
                        {**FORM, "tls_client_cert": "", "tls_ca_bundle": "", "oauth2_token_url": ""})
    assert answer.status_code == 302
    created.refresh_from_db()
    assert receiver_auth.tls_to_send(created) == ("", "", "") and created.oauth2 is None


@pytest.mark.parametrize("fields, field, message", [
    ({"signature_scheme": "hmac"}, "signature_scheme", "hmac"),
    ({"retry_schedule": "[0]"}, "retry_schedule", ""),
    ({"retry_schedule": "[1,"}, "retry_schedule", ""),
    ({"timeout": "-1"}, "timeout", ""),
    ({"fallback_url": "https://u:p@127.0.0.1/f"}, "fallback_url", "credentials"),
    ({"tls_client_cert": "not a pem"}, "tls_client_cert", ""),
    ({"replace_tls_client_key": CA.issue_cert("other@example.com").private_key_pem.bytes().decode()},
     "replace_tls_client_key", "not the private key"),
    ({"oauth2_token_url": "https://127.0.0.1:9443/t", "replace_oauth2_client_secret": ""},
     "oauth2_token_url", "client_secret"),
])
def test_bad_input_is_shown_beside_its_field(alice, catalogue, fields, field, message):
    form = {**FORM, "replace_tls_client_key": KEY, "replace_oauth2_client_secret": SECRET} | fields
    answer = alice.post(reverse("portal:endpoint-add"), form)
    assert answer.status_code == 400 and not Endpoint.objects.filter(url=FORM["url"]).exists()
    errors = answer.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    if field.startswith(("tls", "replace_tls", "oauth2")):
        assert "<details open>" in answer.content.decode()
