"""The whole story over HTTP only, with a real worker and a real receiver on 127.0.0.1.

event type -> tenant -> endpoint -> publish -> signed delivery -> attempts readable
-> retry (same webhook-id) -> rotate -> the next event carries two valid signatures.
"""

import time

import pytest
from standardwebhooks.webhooks import Webhook

from subscriptions.api_keys import create_api_key
from tests.api.conftest import client_with

pytestmark = pytest.mark.e2e


def eventually(read, check, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = read()
        if check(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"not reached in {timeout} s; last: {value}")


def test_full_flow(live_worker, receiver):
    api = client_with(create_api_key(name="bootstrap")[1])   # the one key made outside HTTP
    assert api.post("/api/v1/event-types/", {"name": "invoice.paid"}, format="json").status_code == 201
    assert api.post("/api/v1/tenants/", {"uid": "org_42", "name": "Org 42"}, format="json").status_code == 201
    tenant_key = api.post("/api/v1/api-keys/", {"tenant": "org_42", "name": "org"}, format="json").json()["key"]
    org = client_with(tenant_key)
    base = "/api/v1/tenants/org_42"

    created = org.post(f"{base}/endpoints/", {"url": receiver.url("/flow"), "event_types": ["invoice.*"]},
                       format="json").json()
    endpoint = f"{base}/endpoints/{created['id']}"
    secret = org.get(f"{endpoint}/secret/").json()["key"]
    assert secret == created["secret"]

    published = org.post(f"{base}/events/", {"event_type": "invoice.paid", "data": {"invoice_id": "in_1"}},
                         format="json")
    assert published.status_code == 202
    event_id = published.json()["id"]
    first = receiver.wait_for(1, "/flow")[0]
    assert Webhook(secret).verify(first.body, first.headers)["data"] == {"invoice_id": "in_1"}
    assert first.headers["webhook-id"] == event_id

    listed = eventually(lambda: org.get(f"{base}/deliveries/", {"event": event_id}).json()["results"],
                        lambda rows: rows and rows[0]["status"] == "succeeded")
    delivery = f"{base}/deliveries/{listed[0]['id']}/"
    detail = org.get(delivery).json()
    assert [a["response_status"] for a in detail["attempts"]] == [200]
    assert "<redacted>" in detail["attempts"][0]["request_headers"]["webhook-signature"]
    assert org.get(f"{base}/events/{event_id}/").json()["deliveries"][0]["status"] == "succeeded"

    assert org.post(f"{delivery}retry/").status_code == 202
    again = receiver.wait_for(2, "/flow")[1]
    assert again.headers["webhook-id"] == event_id and again.body == first.body
    Webhook(secret).verify(again.body, again.headers)
    detail = eventually(lambda: org.get(delivery).json(),
                        lambda d: d["status"] == "succeeded" and len(d["attempts"]) == 2)
    assert [a["trigger"] for a in detail["attempts"]] == ["manual", "scheduled"]
    attempts = org.get(f"{delivery}attempts/").json()["results"]
    assert [a["id"] for a in attempts] == [a["id"] for a in detail["attempts"]]

    new_secret = org.post(f"{endpoint}/secret/rotate/").json()["key"]
    assert new_secret != secret
    org.post(f"{base}/events/", {"event_type": "invoice.paid", "data": {"invoice_id": "in_2"}}, format="json")
    third = receiver.wait_for(3, "/flow")[2]
    assert len(third.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new_secret).verify(third.body, third.headers)["data"] == {"invoice_id": "in_2"}
    assert Webhook(secret).verify(third.body, third.headers)["data"] == {"invoice_id": "in_2"}

    stats = org.get(f"{endpoint}/stats/").json()
    assert stats["attempts"]["succeeded"] >= 3 and stats["latency_ms"]["max"] is not None
