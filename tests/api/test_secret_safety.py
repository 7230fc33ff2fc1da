"""A hostile tenant key against secrets and credentials: rotation floods (H2), credentials sent to a
new origin (M2), redaction gaps (L5), unsendable or framing headers (L4), weak given secrets (L16),
and the audit of reveals and rotations (M8)."""

import base64

import pytest
from django.core.exceptions import ValidationError
from standardwebhooks.webhooks import Webhook

from delivery import publish
from delivery.models import Attempt
from subscriptions import create_endpoint, update_endpoint
from subscriptions.models import Endpoint, SecretAccess
from tests.api.conftest import client_with

BASE = "/api/v1/tenants/acme/endpoints/"


def _create(client, **fields):
    response = client.post(BASE, fields, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def tenant_key(acme):
    from subscriptions.api_keys import create_api_key

    return client_with(create_api_key(tenant=acme, name="acme-ci")[1])


def test_rotation_flood_leaves_two_signatures_that_verify(live_worker, receiver, acme, tenant_key, settings):
    """H2: a tenant key rotating over and over is stopped with 429 + Retry-After, and a real worker's
    delivery carries exactly two ``v1,`` signatures (current and previous secret), both verifying."""
    from subscriptions import ensure_event_type

    ensure_event_type("invoice.paid")
    endpoint_id = _create(tenant_key, url=receiver.url("/h2"))["id"]
    keys, answers = [], []
    for _ in range(15):  # the default limit is 10 an hour
        answer = tenant_key.post(f"{BASE}{endpoint_id}/secret/rotate/")
        answers.append(answer)
        if answer.status_code == 200:
            keys.append(answer.json()["key"])
    assert [a.status_code for a in answers] == [200] * 10 + [429] * 5
    assert 0 < int(answers[-1]["Retry-After"]) <= 3600 and "rotations" in answers[-1].json()["detail"]

    publish("invoice.paid", {"n": 1}, tenant="acme")
    [got] = receiver.wait_for(1, "/h2")
    entries = got.headers["webhook-signature"].split(" ")
    assert len(entries) == 2 and all(entry.startswith("v1,") for entry in entries)
    for secret, entry in zip(keys[-1:-3:-1], entries, strict=True):
        assert Webhook(secret).verify(got.body, {**got.headers, "webhook-signature": entry})
    assert tenant_key.get(f"{BASE}{endpoint_id}/secret/").json()["key"] == keys[-1]


def test_rotation_limit_in_python_and_admin(acme, settings, admin_client):
    """H2: the same limit holds for the Python API (RotationRateLimited, a ValidationError) and the admin."""
    from django.urls import reverse

    from subscriptions import rotate_secret
    from subscriptions.secrets import RotationRateLimited

    settings.WEBHOOKS_SECRET_ROTATIONS_PER_HOUR = 2
    endpoint = create_endpoint(acme, url="https://hooks.example.com/in")
    rotate_secret(endpoint)
    rotate_secret(endpoint)
    with pytest.raises(RotationRateLimited) as caught:
        rotate_secret(endpoint)
    assert isinstance(caught.value, ValidationError) and caught.value.retry_after > 0
    assert endpoint.secrets.count() == 2
    rotate = reverse("admin:hookplatform_subscriptions_endpoint_act", args=[endpoint.pk, "rotate_secret"])
    page = admin_client.post(rotate, {"confirm": "yes"}, follow=True).content.decode()
    assert "too many rotations within the hour" in page and endpoint.secrets.count() == 2


def test_credentials_never_follow_the_url_to_another_origin(acme, tenant_key, receiver):
    """M2: a tenant key that may edit the endpoint cannot send its stored password or header token to a
    server of its own: ``<redacted>`` with a new origin is a 400 naming the field."""
    body = _create(tenant_key, url="https://alice:s3cret@hooks.example.com/in", headers={"X-Api-Key": "tok"})
    url = f"{BASE}{body['id']}/"
    evil = receiver.url("/steal").replace("http://", "http://alice:<redacted>@")
    for change, field in [({"url": evil}, "url"),
                          ({"url": "https://alice:<redacted>@hooks.example.com:8443/in"}, "url"),
                          ({"url": "http://alice:<redacted>@hooks.example.com/in"}, "url"),
                          ({"url": receiver.url("/steal")}, "headers"),
                          ({"url": receiver.url("/steal"), "headers": {"X-Api-Key": "<redacted>"}}, "headers")]:
        answer = tenant_key.patch(url, change, format="json")
        assert answer.status_code == 400 and field in answer.json(), (change, answer.json())
    stored = Endpoint.objects.get(pk=body["id"])
    assert stored.url_to_send() == "https://alice:s3cret@hooks.example.com/in"
    # The same origin keeps them; a new origin with everything given in full is fine.
    same = tenant_key.patch(url, {"url": "https://alice:<redacted>@HOOKS.example.com:443/v2",
                                  "headers": {"X-Api-Key": "<redacted>"}}, format="json")
    assert same.status_code == 200, same.json()
    stored.refresh_from_db()
    assert stored.url_to_send() == "https://alice:s3cret@HOOKS.example.com:443/v2"
    assert stored.headers_to_send() == {"X-Api-Key": "tok"}
    moved = tenant_key.patch(url, {"url": receiver.url("/new"), "headers": {"X-Api-Key": "fresh"}}, format="json")
    assert moved.status_code == 200, moved.json()
    stored.refresh_from_db()
    assert stored.url_to_send() == receiver.url("/new") and stored.headers_to_send() == {"X-Api-Key": "fresh"}


def test_credentials_never_follow_the_url_in_python(acme):
    """M2: ``update_endpoint`` refuses the same move with a ValidationError naming the field."""
    endpoint = create_endpoint(acme, url="https://alice:s3cret@hooks.example.com/in", headers={"X-Key": "tok"})
    with pytest.raises(ValidationError) as caught:
        update_endpoint(endpoint, url="https://alice:<redacted>@evil.example.com/in", headers={})
    assert "url" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        update_endpoint(endpoint, url="https://evil.example.com/in", headers={"X-Key": "<redacted>"})
    assert "headers" in caught.value.message_dict
    assert Endpoint.objects.get(pk=endpoint.pk).url_to_send() == "https://alice:s3cret@hooks.example.com/in"


@pytest.mark.parametrize("url, shown", [
    ("https://tok-123@hooks.example.com/in", "https://<redacted>@hooks.example.com/in"),
    ("https://hooks.example.com/in?token=t1&API_KEY=t2&sig=t3&page=2",
     "https://hooks.example.com/in?token=<redacted>&API_KEY=<redacted>&sig=<redacted>&page=2"),
    ("https://u:p-1@hooks.example.com/in?access_token=t4", "https://u:<redacted>@hooks.example.com/in?access_token=<redacted>"),
])
def test_api_shows_no_credential_in_the_url(acme, tenant_key, url, shown):
    """L5: a token as the user name, or in the query string, reads ``<redacted>`` in the API."""
    body = _create(tenant_key, url=url)
    assert body["url"] == shown
    assert tenant_key.get(f"{BASE}{body['id']}/").json()["url"] == shown
    assert tenant_key.get(BASE, {"limit": 5}).json()["results"][0]["url"] == shown


def test_credential_like_headers_are_hidden_everywhere(live_worker, receiver, acme, tenant_key, admin_client):
    """L5: X-Pass, X-Credential, X-Access, X-Api-Key values and query tokens appear neither in the API,
    the admin, nor a real worker's attempt log (the receiver does get them)."""
    from django.urls import reverse

    from subscriptions import ensure_event_type

    ensure_event_type("invoice.paid")
    headers = {"X-Pass": "v-pass-1", "X-Credential": "v-cred-2", "X-Access": "v-acc-3", "X-Api-Key": "v-key-4"}
    body = _create(tenant_key, url=receiver.url("/l5?sig=v-sig-5&n=1").replace("http://", "http://v-user-6@"),
                   headers=headers)
    publish("invoice.paid", {"n": 1}, tenant="acme")
    [got] = receiver.wait_for(1, "/l5?sig=v-sig-5&n=1")
    assert got.headers["x-pass"] == "v-pass-1"
    attempt = _wait_for_attempt(body["id"])
    pages = [reverse("admin:hookplatform_subscriptions_endpoint_change", args=[body["id"]]),
             reverse("admin:hookplatform_delivery_delivery_change", args=[attempt.delivery_id])]
    shown = [str(tenant_key.get(f"{BASE}{body['id']}/").json()), attempt.request_url, str(attempt.request_headers),
             *(admin_client.get(page).content.decode() for page in pages)]
    secrets = ["v-pass-1", "v-cred-2", "v-acc-3", "v-key-4", "v-sig-5", "v-user-6"]
    assert [(n, s) for n, page in enumerate(shown) for s in secrets if s in page] == []
    assert "X-Pass" in shown[0] and "<redacted>" in attempt.request_url


def _wait_for_attempt(endpoint_id):
    from tests.worker import wait_until

    wait_until(lambda: Attempt.objects.filter(endpoint_id=endpoint_id).exists(), what="an attempt")
    return Attempt.objects.get(endpoint_id=endpoint_id)


@pytest.mark.parametrize("headers", [
    {"X-Token": " leading"}, {"X-Token": "trailing "}, {"X-Token": "\tx"},
    {"Expect": "100-continue"}, {"TE": "trailers"}, {"Upgrade": "h2c"}, {"Keep-Alive": "timeout=5"},
    {"Trailer": "X-Sig"}, {"Content-Encoding": "gzip"}, {"Accept-Encoding": "br"},
    {"Proxy-Authorization": "Basic eA=="}, {"Proxy-Connection": "keep-alive"},
])
def test_headers_that_cannot_or_must_not_be_sent_are_refused(acme, tenant_key, headers):
    """L4: values requests would refuse, and framing/hop-by-hop headers, answer 400 at save."""
    answer = tenant_key.post(BASE, {"url": "https://hooks.example.com/in", "headers": headers}, format="json")
    assert answer.status_code == 400 and "headers" in answer.json(), answer.json()


def test_redacted_placeholders_are_never_stored_as_credentials(acme, tenant_key):
    """M2: ``<redacted>`` where nothing is stored (a new endpoint) is a 400, not a literal credential."""
    for fields, field in [({"url": "https://u:<redacted>@hooks.example.com/in"}, "url"),
                          ({"url": "https://hooks.example.com/in", "headers": {"X-Key": "<redacted>"}}, "headers")]:
        answer = tenant_key.post(BASE, fields, format="json")
        assert answer.status_code == 400 and field in answer.json(), answer.json()
    assert not Endpoint.objects.exists()


def test_authorization_with_url_credentials_is_refused(acme, tenant_key):
    """L4: a custom Authorization next to URL credentials is refused, not silently replaced by Basic auth."""
    answer = tenant_key.post(BASE, {"url": "https://u:p@hooks.example.com/in",
                                    "headers": {"Authorization": "Bearer t"}}, format="json")
    assert answer.status_code == 400 and "headers" in answer.json()
    body = _create(tenant_key, url="https://u:p@hooks.example.com/in")
    later = tenant_key.patch(f"{BASE}{body['id']}/", {"headers": {"authorization": "Bearer t"}}, format="json")
    assert later.status_code == 400 and "headers" in later.json()


@pytest.mark.parametrize("secret", [
    "whsec_", "whsec_!!!!", "whsec_" + base64.b64encode(b"x" * 16).decode(),
    "whsec_" + base64.b64encode(b"x" * 65).decode(), base64.b64encode(b"x" * 32).decode(),
    "whsec_" + base64.b64encode(b"x" * 32).decode() + "\n", "whsec_" + base64.b64encode(b"x" * 32).decode()[:-2],
])
def test_a_given_secret_must_be_24_to_64_base64_bytes(acme, secret):
    """L16: create_endpoint(secret=...) refuses empty, short, long and non-base64 secrets."""
    with pytest.raises(ValidationError) as caught:
        create_endpoint(acme, url="https://hooks.example.com/in", secret=secret)
    assert "secret" in caught.value.message_dict
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("size", [24, 64])
def test_a_given_secret_of_the_contract_is_kept(acme, size):
    """L16: the bounds themselves are accepted."""
    from subscriptions import reveal_secret

    secret = "whsec_" + base64.b64encode(b"y" * size).decode()
    assert reveal_secret(create_endpoint(acme, url="https://hooks.example.com/in", secret=secret)) == secret


def test_api_reveal_and_rotation_are_audited(acme, tenant_key, platform, admin_client):
    """M8: every reveal and rotation through the API leaves a record (which key, when, which endpoint) that
    staff read in the admin."""
    from django.urls import reverse

    endpoint_id = _create(tenant_key, url="https://hooks.example.com/in")["id"]
    assert not SecretAccess.objects.exists()  # creating shows the secret once: not a reveal
    tenant_key.get(f"{BASE}{endpoint_id}/secret/")
    platform.post(f"{BASE}{endpoint_id}/secret/rotate/")
    records = list(SecretAccess.objects.order_by("id").values_list("endpoint_id", "action", "actor"))
    assert records[0][:2] == (endpoint_id, "reveal") and "api key hp_" in records[0][2] and "acme-ci" in records[0][2]
    assert records[1][:2] == (endpoint_id, "rotate") and "(platform)" in records[1][2]
    page = admin_client.get(reverse("admin:hookplatform_subscriptions_secretaccess_changelist")).content.decode()
    assert endpoint_id in page and "acme-ci" in page
