"""Secrets audit: URL passwords, Authorization values, signing secrets and API keys are shown nowhere.

One endpoint's URL carries credentials (``http://alice:<password>@host/``)
and its custom headers an ``X-Auth-Token`` token; a real delivery goes out
(and one fails, so that error messages exist too).  Then every place a user
or an operator can look is searched for each secret: the attempt log, the
log records of the delivery, the REST API's answers, the admin's pages, the
real worker's output.  The explicit reveal is the one place a secret shows,
which also proves the search would find a leak.
"""

import base64
import logging

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from delivery import publish
from delivery.fanout import fan_out_and_send
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type, reveal_secret
from subscriptions.api_keys import create_api_key
from tests.worker import free_port, wait_until

PASSWORD = "pw7Qx2LmZt9"
HEADER_TOKEN = "tok4Hq8WnR3"
KEY_HEADER = "kh5Jv1PsY6"
TENANT = "org_audit"


def credentialed(url):
    return url.replace("http://", f"http://alice:{PASSWORD}@")


def forbidden(endpoints, api_key):
    """Every secret of the scene, and the encodings they could leak in."""
    secrets = {
        "URL password": PASSWORD,
        "Basic auth value": base64.b64encode(f"alice:{PASSWORD}".encode()).decode(),
        "X-Auth-Token header value": HEADER_TOKEN,
        "X-Api-Key header value": KEY_HEADER,
        "API key": api_key,
    }
    for endpoint in endpoints:
        secret = reveal_secret(endpoint)
        secrets[f"signing secret of {endpoint.pk}"] = secret.removeprefix("whsec_")
    return secrets


def leaks(text, secrets):
    return sorted(name for name, value in secrets.items() if value in text)


@pytest.fixture
def scene(db, receiver, caplog):
    """A delivered event and a failed one, sent in this process with every log record captured."""
    ensure_event_type("audit.done")
    # Not Authorization: next to URL credentials it is refused (L4); a token header of another name.
    headers = {"X-Auth-Token": f"Bearer {HEADER_TOKEN}", "X-Api-Key": KEY_HEADER}
    ok = create_endpoint(TENANT, url=credentialed(receiver.url("/private")), headers=headers)
    refused = create_endpoint(TENANT, url=credentialed(f"http://127.0.0.1:{free_port()}/closed"), headers=headers)
    api_key = create_api_key(name="auditor")[1]
    caplog.set_level(logging.DEBUG)
    event = publish("audit.done", {"n": 1}, tenant=TENANT)
    fan_out_and_send(event.id)
    return {"endpoints": [ok, refused], "event": event, "secrets": forbidden([ok, refused], api_key),
            "api_key": api_key}


def test_credentials_go_as_basic_auth_and_nowhere_in_the_attempt_log_or_logs(scene, receiver, caplog):
    [got] = receiver.to("/private")
    assert got.headers["authorization"] == "Basic " + scene["secrets"]["Basic auth value"]
    attempts = list(Attempt.objects.values())
    deliveries = list(Delivery.objects.values())
    assert len(attempts) == 2 and {a["succeeded"] for a in attempts} == {True, False}
    assert [a["error_message"] for a in attempts if not a["succeeded"]] != [""]
    assert leaks(str(attempts) + str(deliveries), scene["secrets"]) == []
    logged = caplog.get_records("setup")  # the delivery ran in the fixture
    records = "\n".join(f"{r.getMessage()} {r.__dict__} {r.exc_text or ''}" for r in logged)
    assert any(scene["event"].id in r.__dict__.values() for r in logged), "the delivery logged nothing"
    assert leaks(records, scene["secrets"]) == []


def test_validation_errors_do_not_repeat_the_password(db):
    with pytest.raises(ValidationError) as refused:
        create_endpoint(TENANT, url=f"ftp://alice:{PASSWORD}@example.com/")
    assert PASSWORD not in str(refused.value)


def api(key):
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def api_pages(scene):
    endpoint = scene["endpoints"][0]
    delivery = Delivery.objects.filter(endpoint=endpoint).get()
    base = f"/api/v1/tenants/{TENANT}"
    return [f"{base}/endpoints/", f"{base}/endpoints/{endpoint.pk}/", f"{base}/endpoints/{endpoint.pk}/attempts/",
            f"{base}/events/", f"{base}/events/{scene['event'].pk}/", f"{base}/deliveries/",
            f"{base}/deliveries/{delivery.pk}/", f"{base}/deliveries/{delivery.pk}/attempts/", "/api/v1/api-keys/"]


def leaks_on(client, pages, secrets):
    """``{page name: [names of the secrets it shows]}`` for the pages (name -> path) that show any."""
    found = {}
    for name, page in pages.items():
        answer = client.get(page)
        assert answer.status_code == 200, (page, answer.content[:300])
        if leaked := leaks(answer.content.decode(), secrets):
            found[name] = leaked
    return found


def api_leaks(scene):
    client = api(create_api_key(name="platform")[1])
    return leaks_on(client, {page: page for page in api_pages(scene)}, scene["secrets"])


def test_api_answers_show_no_secret(scene):
    assert api_leaks(scene) == {}


def test_the_explicit_reveal_shows_the_secret(scene):
    """The one exception, and the proof that the search above would see a leak."""
    endpoint = scene["endpoints"][0]
    answer = api(create_api_key(name="platform")[1]).get(f"/api/v1/tenants/{TENANT}/endpoints/{endpoint.pk}/secret/")
    assert answer.status_code == 200
    assert leaks(answer.content.decode(), scene["secrets"]) == [f"signing secret of {endpoint.pk}"]


def admin_pages(scene):
    endpoint = scene["endpoints"][0]
    delivery = Delivery.objects.filter(endpoint=endpoint).get()
    attempt = Attempt.objects.filter(delivery=delivery).get()
    return {
        "endpoint list": reverse("admin:hookplatform_subscriptions_endpoint_changelist"),
        "endpoint page": reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk]),
        "event page": reverse("admin:hookplatform_delivery_event_change", args=[scene["event"].pk]),
        "delivery list": reverse("admin:hookplatform_delivery_delivery_changelist"),
        "delivery page": reverse("admin:hookplatform_delivery_delivery_change", args=[delivery.pk]),
        "attempt list": reverse("admin:hookplatform_delivery_attempt_changelist"),
        "attempt page": reverse("admin:hookplatform_delivery_attempt_change", args=[attempt.pk]),
        "API key list": reverse("admin:hookplatform_subscriptions_apikey_changelist"),
        "dashboard": reverse("admin:index"),
    }


def test_admin_pages_show_no_secret(scene, admin_client):
    assert leaks_on(admin_client, admin_pages(scene), scene["secrets"]) == {}


@pytest.mark.e2e
def test_the_real_worker_logs_no_secret(live_worker, receiver):
    ensure_event_type("audit.done")
    headers = {"X-Auth-Token": f"Bearer {HEADER_TOKEN}"}
    ok = create_endpoint(TENANT, url=credentialed(receiver.url("/worker")), headers=headers)
    refused = create_endpoint(TENANT, url=credentialed(f"http://127.0.0.1:{free_port()}/closed"), headers=headers)
    event = publish("audit.done", {"n": 2}, tenant=TENANT)
    receiver.wait_for(1, "/worker")
    wait_until(lambda: Attempt.objects.filter(delivery__event=event).count() >= 2, what="both attempts recorded")
    secrets = forbidden([ok, refused], api_key="-")
    secrets.pop("API key")
    output = live_worker.output()
    assert event.id in output, "the worker logged nothing about the delivery, so nothing was checked"
    assert leaks(output, secrets) == []
