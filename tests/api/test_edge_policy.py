"""An endpoint's own policy over the API: the fields, their bounds (400 naming the field), the fallback URL's
checks and credentials rule, the attempts' ``target``, and the schema that documents them."""

import pytest

from delivery.models import Attempt
from subscriptions import create_endpoint
from subscriptions.models import Endpoint
from tests.api.conftest import make_traffic

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tenants/acme/endpoints/"
POLICY = {"signature_scheme": "svix", "retry_schedule": [5, 60, 1.5], "retry_on_4xx": False, "timeout": 2.5,
          "fallback_url": "https://127.0.0.1:8444/fallback"}


def create(client, **fields):
    return client.post(BASE, {"url": "https://127.0.0.1:8443/hooks"} | fields, format="json")


def test_create_read_and_change_the_policy(platform, acme):
    response = create(platform, **POLICY)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {name: body[name] for name in POLICY} == POLICY
    endpoint = Endpoint.objects.get(pk=body["id"])
    assert endpoint.retry_schedule == [5, 60, 1.5] and endpoint.timeout == 2.5 and not endpoint.retry_on_4xx

    changed = platform.patch(f"{BASE}{endpoint.pk}/", {"retry_schedule": None, "timeout": None,
                                                       "fallback_url": "", "signature_scheme": "standard"},
                             format="json")
    assert changed.status_code == 200, changed.json()
    assert {name: changed.json()[name] for name in POLICY} == {
        "signature_scheme": "standard", "retry_schedule": None, "retry_on_4xx": False, "timeout": None,
        "fallback_url": ""}


def test_defaults_when_left_out(platform, acme):
    body = create(platform).json()
    assert {name: body[name] for name in POLICY} == {
        "signature_scheme": "standard", "retry_schedule": None, "retry_on_4xx": True, "timeout": None,
        "fallback_url": ""}


@pytest.mark.parametrize("fields, field", [
    ({"signature_scheme": "hmac"}, "signature_scheme"),
    ({"retry_schedule": "5,10"}, "retry_schedule"),
    ({"retry_schedule": [5, "soon"]}, "retry_schedule"),
    ({"retry_schedule": [0.5]}, "retry_schedule"),
    ({"retry_schedule": [86401]}, "retry_schedule"),
    ({"retry_schedule": [1] * 21}, "retry_schedule"),
    ({"retry_schedule": [1] * 5000}, "retry_schedule"),
    ({"retry_on_4xx": "perhaps"}, "retry_on_4xx"),
    ({"timeout": 0.5}, "timeout"),
    ({"timeout": 61}, "timeout"),
    ({"timeout": "fast"}, "timeout"),
    ({"fallback_url": "ftp://127.0.0.1/x"}, "fallback_url"),
    ({"fallback_url": "https://u:pw@127.0.0.1:8444/x"}, "fallback_url"),
    ({"fallback_url": "https://127.0.0.1:8444/x?token=abc"}, "fallback_url"),
    ({"headers": {"svix-signature": "v1,forged"}}, "headers"),  # the svix scheme's own, as webhook-* are
])
def test_bad_values_answer_400_naming_the_field(platform, acme, fields, field):
    response = create(platform, **fields)
    assert response.status_code == 400, response.json()
    assert {key.split(".")[0] for key in response.json()} == {field}, response.json()  # "retry_schedule.1" too
    assert not Endpoint.objects.exists()


def test_bounds_come_from_the_settings(platform, acme, settings):
    settings.WEBHOOKS_ENDPOINT_TIMEOUT_MAX, settings.WEBHOOKS_ENDPOINT_MAX_RETRIES = 120, 2
    assert create(platform, timeout=100).status_code == 201
    response = create(platform, retry_schedule=[1, 2, 3])
    assert response.status_code == 400 and "at most 2" in response.json()["retry_schedule"][0]


def test_a_fallback_url_to_a_refused_address_is_refused_at_save(platform, acme, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    response = create(platform, url="https://93.184.215.14/hooks", fallback_url="http://169.254.169.254/latest")
    assert response.status_code == 400 and list(response.json()) == ["fallback_url"], response.json()


def test_a_fallback_to_a_new_origin_needs_the_custom_headers_in_full(platform, acme):
    """Else a tenant key could have the endpoint's stored header values sent to a server of its own."""
    endpoint = create_endpoint(acme, url="https://127.0.0.1:8443/hooks", headers={"Authorization": "Bearer s3"})
    url = f"{BASE}{endpoint.pk}/"
    evil = {"fallback_url": "https://127.0.0.2:8443/steal"}
    refused = platform.patch(url, evil, format="json")
    assert refused.status_code == 400 and "headers" in refused.json()
    assert platform.patch(url, evil | {"headers": {"Authorization": "<redacted>"}}, format="json").status_code == 400
    same_origin = platform.patch(url, {"fallback_url": "https://127.0.0.1:8443/other"}, format="json")
    assert same_origin.status_code == 200, same_origin.json()
    given = platform.patch(url, evil | {"headers": {"Authorization": "Bearer mine"}}, format="json")
    assert given.status_code == 200, given.json()


def test_attempts_say_which_url_they_went_to(platform, acme):
    [delivery] = make_traffic(acme, deliveries=1, attempts_each=1)[1]
    Attempt.objects.filter(delivery=delivery).update(target="fallback_url")
    body = platform.get(f"/api/v1/tenants/acme/deliveries/{delivery.pk}/").json()
    assert [a["target"] for a in body["attempts"]] == ["fallback_url"]


def test_the_schema_documents_the_fields(platform):
    schema = platform.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    endpoint = schema["components"]["schemas"]["Endpoint"]["properties"]
    scheme = endpoint["signature_scheme"]
    enum = schema["components"]["schemas"][scheme["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert enum == ["standard", "svix"]
    assert all(name in endpoint and endpoint[name].get("description") for name in POLICY)
    assert "fallback_url" in schema["components"]["schemas"]["Attempt"]["properties"]["target"]["description"]
