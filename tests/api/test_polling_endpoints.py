"""Polling endpoints over the API: created without a URL, pulled page by page, committed by cursor."""

import json

import pytest
from standardwebhooks.webhooks import Webhook

from delivery import publish
from delivery.fanout import fan_out_for_sending
from delivery.models import Delivery, EndpointState
from delivery.states import claim_due, claim_one, unpark
from subscriptions import create_endpoint, reveal_secret
from tests.api.conftest import client_with

BASE = "/api/v1/tenants/acme/endpoints/"


def poll_url(endpoint_id, **query):
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{BASE}{endpoint_id}/poll/" + (f"?{params}" if params else "")


@pytest.fixture
def poller(acme, invoice_paid_type):
    return create_endpoint(acme, kind="polling", event_types=["invoice.*"])


def publish_and_fan_out(count, tenant="acme", start=0):
    events = [publish("invoice.paid", {"n": n}, tenant=tenant) for n in range(start, start + count)]
    fan_out_for_sending(None, send_now=100)  # what a worker's fan-out does with them (sends none here)
    return events


def test_create_a_polling_endpoint_without_url(acme_key, invoice_paid_type):
    answer = acme_key.post(BASE, {"kind": "polling", "event_types": ["invoice.paid"]}, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["kind"] == "polling" and answer.json()["url"] == ""
    assert answer.json()["secret"].startswith("whsec_")
    listed = acme_key.get(BASE).json()["results"][0]
    assert listed["kind"] == "polling"


def test_an_http_endpoint_is_the_default(acme_key):
    answer = acme_key.post(BASE, {"url": "https://example.com/h"}, format="json")
    assert answer.status_code == 201 and answer.json()["kind"] == "http"


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "polling", "url": "https://example.com/h"}, "url"),
    ({"kind": "http"}, "url"),
    ({}, "url"),
    ({"kind": "carrier-pigeon"}, "kind"),
    ({"kind": "polling", "headers": {"X-Token": "abc"}}, "headers"),
])
def test_kind_and_url_must_agree(acme_key, body, field):
    answer = acme_key.post(BASE, body, format="json")
    assert answer.status_code == 400
    assert field in answer.json(), answer.json()


def test_kind_cannot_change_and_a_polling_endpoint_gets_no_url(acme_key, poller):
    answer = acme_key.patch(f"{BASE}{poller.pk}/", {"kind": "http"}, format="json")
    assert answer.status_code == 400 and "kind" in answer.json()
    answer = acme_key.patch(f"{BASE}{poller.pk}/", {"url": "https://example.com/h"}, format="json")
    assert answer.status_code == 400 and "url" in answer.json()
    answer = acme_key.patch(f"{BASE}{poller.pk}/", {"description": "mine"}, format="json")
    assert answer.status_code == 200 and answer.json()["kind"] == "polling"


def test_pages_in_publish_order_and_the_cursor_commits(acme_key, poller):
    events = publish_and_fan_out(5)
    first = acme_key.get(poll_url(poller.pk, limit=2)).json()
    assert [e["id"] for e in first["events"]] == [events[0].id, events[1].id]
    assert first["done"] is False and first["committed"] == "0"
    # Reading without committing reads the same again.
    again = acme_key.get(poll_url(poller.pk, limit=2)).json()
    assert [e["id"] for e in again["events"]] == [e["id"] for e in first["events"]]

    second = acme_key.get(poll_url(poller.pk, limit=2, cursor=first["next_cursor"])).json()
    assert [e["id"] for e in second["events"]] == [events[2].id, events[3].id]
    assert second["committed"] == first["next_cursor"]
    done = Delivery.objects.filter(endpoint=poller, status="succeeded").values_list("event_id", flat=True)
    assert sorted(done) == sorted([events[0].id, events[1].id])

    third = acme_key.get(poll_url(poller.pk, limit=2, cursor=second["next_cursor"])).json()
    assert [e["id"] for e in third["events"]] == [events[4].id] and third["done"] is True
    # Without a cursor: after the last committed place (a consumer that lost its cursor).
    resumed = acme_key.get(poll_url(poller.pk, limit=10)).json()
    assert [e["id"] for e in resumed["events"]] == [events[4].id]
    last = acme_key.get(poll_url(poller.pk, cursor=third["next_cursor"])).json()
    assert last["events"] == [] and last["next_cursor"] == third["next_cursor"] and last["done"] is True
    assert EndpointState.objects.get(endpoint=poller).poll_committed == int(third["next_cursor"])
    assert not Delivery.objects.filter(endpoint=poller).exclude(status="succeeded").exists()


def test_later_events_come_after_the_committed_place(acme_key, poller):
    publish_and_fan_out(2)
    page = acme_key.get(poll_url(poller.pk)).json()
    late = publish_and_fan_out(1, start=2)
    page = acme_key.get(poll_url(poller.pk, cursor=page["next_cursor"])).json()
    assert [e["id"] for e in page["events"]] == [late[0].id]


def test_the_signature_verifies_with_standardwebhooks(acme_key, poller):
    [event] = publish_and_fan_out(1)
    [got] = acme_key.get(poll_url(poller.pk)).json()["events"]
    assert got["headers"]["webhook-id"] == event.id == got["id"]
    assert got["body"] == event.body  # the exact bytes a push would send
    payload = Webhook(reveal_secret(poller)).verify(got["body"], got["headers"])
    assert payload["data"] == {"n": 0} and json.loads(got["body"])["type"] == "invoice.paid"
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(reveal_secret(create_endpoint("acme", kind="polling"))).verify(got["body"], got["headers"])


def test_bad_cursors_and_limits_answer_400(acme_key, poller):
    publish_and_fan_out(1)
    for query in ({"cursor": "abc"}, {"cursor": "99"}, {"cursor": "-1"}, {"limit": 0}, {"limit": 101}):
        answer = acme_key.get(poll_url(poller.pk, **query))
        assert answer.status_code == 400, query
        assert set(answer.json()) == set(query), answer.json()


def test_an_http_endpoint_is_not_polled(acme_key, acme):
    endpoint = create_endpoint(acme, url="https://example.com/h")
    answer = acme_key.get(poll_url(endpoint.pk))
    assert answer.status_code == 400 and "kind" in answer.json()


def test_another_tenants_endpoint_is_404(globex, invoice_paid_type, acme_key, platform):
    theirs = create_endpoint(globex, kind="polling")
    publish("invoice.paid", {"n": 1}, tenant="globex")
    fan_out_for_sending(None, send_now=0)
    assert acme_key.get(poll_url(theirs.pk)).status_code == 404
    assert acme_key.get(f"/api/v1/tenants/globex/endpoints/{theirs.pk}/poll/").status_code == 404
    assert platform.get(f"/api/v1/tenants/globex/endpoints/{theirs.pk}/poll/").status_code == 200
    assert client_with(None).get(f"/api/v1/tenants/globex/endpoints/{theirs.pk}/poll/").status_code in (401, 403)


def test_kept_deliveries_are_never_claimed_for_sending(poller, handed_over):
    publish_and_fan_out(3)
    kept = Delivery.objects.filter(endpoint=poller)
    assert kept.count() == 3 and set(kept.values_list("status", flat=True)) == {"pending"}
    assert not [call for call in handed_over if call[0] == "batch"]
    unpark(poller.pk)  # an enable
    assert claim_due(100)[0] == []
    assert claim_one(kept.first().pk) == ([], None)


def test_a_test_event_is_kept_for_the_consumer_and_a_resend_is_refused(acme_key, poller, handed_over):
    answer = acme_key.post(f"{BASE}{poller.pk}/test/", {"event_type": "invoice.paid"}, format="json")
    assert answer.status_code == 202
    [got] = acme_key.get(poll_url(poller.pk)).json()["events"]
    assert got["id"] == answer.json()["id"] and not [call for call in handed_over if call[0] == "batch"]
    delivery = Delivery.objects.get(endpoint=poller)
    refused = acme_key.post(f"/api/v1/tenants/acme/deliveries/{delivery.pk}/retry/")
    assert refused.status_code == 409 and "polled" in refused.json()["detail"]
    assert Delivery.objects.get(pk=delivery.pk).status == "pending"


def test_an_event_fanned_out_late_comes_after_what_was_read_never_lost(acme_key, poller):
    earlier = publish("invoice.paid", {"n": 0}, tenant="acme")
    later = publish("invoice.paid", {"n": 1}, tenant="acme")
    fan_out_for_sending(later.id, send_now=0)  # the earlier event's fan-out is late (say its hand-off was lost)
    page = acme_key.get(poll_url(poller.pk)).json()
    assert [e["id"] for e in page["events"]] == [later.id]
    fan_out_for_sending(earlier.id, send_now=0)
    page = acme_key.get(poll_url(poller.pk, cursor=page["next_cursor"])).json()
    assert [e["id"] for e in page["events"]] == [earlier.id]
    assert Delivery.objects.get(endpoint=poller, event=earlier).status == "pending"  # not acknowledged unread


def test_a_page_reads_the_endpoints_secrets_once_however_many_events_it_holds(poller):
    """Every event of the page is signed, with the secrets read in one statement (``endpoint_loading``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from delivery.polling import poll
    from subscriptions.models import EndpointSecret

    publish_and_fan_out(10)
    with CaptureQueriesContext(connection) as page:
        assert len(poll(poller, limit=10).events) == 10
    table = EndpointSecret._meta.db_table
    assert len([q for q in page.captured_queries if f'FROM "{table}"' in q["sql"]]) == 1
