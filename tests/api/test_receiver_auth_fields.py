"""mTLS and OAuth2 fields of an endpoint over the API: bad input is a 400 naming the field at save time,
the key and the client secret are write-only (stored encrypted) and kept when a change omits them."""

import pytest
import trustme
from django.test import override_settings

from subscriptions import receiver_auth
from subscriptions.models import Endpoint

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tenants/acme/endpoints/"
CA = trustme.CA()
CLIENT = CA.issue_cert("client@example.com")
OTHER = CA.issue_cert("other@example.com")
CERT, KEY = CLIENT.cert_chain_pems[0].bytes().decode(), CLIENT.private_key_pem.bytes().decode()
CA_PEM = CA.cert_pem.bytes().decode()
OAUTH2 = {"token_url": "https://127.0.0.1:9443/token", "client_id": "hooks", "client_secret": "cs-s3cret-9",
          "audience": "https://api.example.com"}


def create(client, **fields):
    return client.post(BASE, {"url": "https://127.0.0.1:8443/hooks"} | fields, format="json")


def test_credentials_are_write_only_and_stored_encrypted(platform, acme):
    response = create(platform, tls_client_cert=CERT, tls_client_key=KEY, tls_ca_bundle=CA_PEM, oauth2=OAUTH2)
    assert response.status_code == 201, response.json()
    body = platform.get(f"{BASE}{response.json()['id']}/").json()
    assert body["tls_client_cert"] == CERT and body["tls_ca_bundle"] == CA_PEM and "tls_client_key" not in body
    assert body["oauth2"] == {"token_url": OAUTH2["token_url"], "client_id": "hooks", "scope": "",
                              "audience": "https://api.example.com"}
    stored = str(Endpoint.objects.filter(pk=body["id"]).values().get())
    assert "PRIVATE KEY" not in stored and "cs-s3cret-9" not in stored
    endpoint = Endpoint.objects.get(pk=body["id"])
    assert receiver_auth.tls_to_send(endpoint) == (CERT, KEY, CA_PEM)
    assert receiver_auth.oauth2_to_send(endpoint)["client_secret"] == "cs-s3cret-9"


@pytest.mark.parametrize(("fields", "field"), [
    ({"tls_client_cert": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
      "tls_client_key": KEY}, "tls_client_cert"),
    ({"tls_client_cert": CERT, "tls_client_key": "garbage"}, "tls_client_key"),
    ({"tls_client_cert": CERT, "tls_client_key": OTHER.private_key_pem.bytes().decode()}, "tls_client_key"),
    ({"tls_client_cert": CERT}, "tls_client_key"),
    ({"tls_client_key": KEY}, "tls_client_cert"),
    ({"tls_ca_bundle": KEY}, "tls_ca_bundle"),
    ({"tls_ca_bundle": "x" * 70_000}, "tls_ca_bundle"),
    ({"oauth2": {**OAUTH2, "token_url": "ftp://127.0.0.1/token"}}, "oauth2"),
    ({"oauth2": {"token_url": OAUTH2["token_url"], "client_id": "hooks"}}, "oauth2"),
    ({"oauth2": "token please"}, "oauth2"),
    ({"oauth2": {**OAUTH2, "scope": "a\nb"}}, "oauth2"),
])
def test_bad_credentials_answer_400_naming_the_field(platform, acme, fields, field):
    response = create(platform, **fields)
    named = {name.split(".")[0] for name in response.json()}  # a nested field reads "oauth2.client_id"
    assert response.status_code == 400 and field in named, response.json()
    assert not Endpoint.objects.exists()


def test_a_token_url_that_fails_the_ssrf_check_is_refused_at_save(platform, acme):
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_NETWORKS=False):
        response = create(platform, url="https://93.184.215.14/hooks",
                          oauth2={**OAUTH2, "token_url": "http://169.254.169.254/latest/meta-data/"})
    assert response.status_code == 400 and "token_url" in str(response.json()["oauth2"]), response.json()


def test_a_change_keeps_the_stored_key_and_secret_and_checks_them_against_the_new_values(platform, acme):
    endpoint_id = create(platform, tls_client_cert=CERT, tls_client_key=KEY, oauth2=OAUTH2).json()["id"]
    url = f"{BASE}{endpoint_id}/"

    kept = platform.patch(url, {"tls_ca_bundle": CA_PEM, "oauth2": {**OAUTH2, "client_secret": None,
                                                                    "scope": "write"}}, format="json")
    assert kept.status_code == 400  # null is not a string: the serializer names it
    kept = platform.patch(url, {"tls_ca_bundle": CA_PEM, "oauth2": {
        key: value for key, value in OAUTH2.items() if key != "client_secret"} | {"scope": "write"}}, format="json")
    assert kept.status_code == 200, kept.json()
    endpoint = Endpoint.objects.get(pk=endpoint_id)
    assert receiver_auth.tls_to_send(endpoint) == (CERT, KEY, CA_PEM)
    assert receiver_auth.oauth2_to_send(endpoint) | {} == {**OAUTH2, "scope": "write"}

    other_cert = OTHER.cert_chain_pems[0].bytes().decode()
    mismatch = platform.patch(url, {"tls_client_cert": other_cert}, format="json")  # the stored key is CLIENT's
    assert mismatch.status_code == 400 and "tls_client_key" in mismatch.json()
    moved = platform.patch(url, {"oauth2": {"token_url": "https://127.0.0.2:9443/token", "client_id": "hooks"}},
                           format="json")
    assert moved.status_code == 400 and "client_secret" in str(moved.json()["oauth2"])
    cleared = platform.patch(url, {"tls_client_cert": "", "tls_client_key": "", "oauth2": None}, format="json")
    assert cleared.status_code == 200, cleared.json()
    endpoint.refresh_from_db()
    assert receiver_auth.tls_to_send(endpoint) == ("", "", CA_PEM) and endpoint.oauth2 is None
