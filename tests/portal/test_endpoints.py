"""The endpoints pages through the Django test client: list, add, edit, delete, disable, enable."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from subscriptions.models import Endpoint

pytestmark = pytest.mark.django_db


def _labels(page):
    return set(re.findall(r'<label for="[^"]+">([^<]+?)(?: <span|</label>)', page))


def test_list_shows_url_status_rate_and_last_delivery(alice, alice_endpoint):
    from delivery.models import Delivery, Event
    from tests.admin.conftest import make_attempt

    event = Event.objects.create(tenant=alice_endpoint.tenant, event_type="invoice.paid", body="{}")
    delivery = Delivery.objects.create(event=event, endpoint=alice_endpoint, tenant=alice_endpoint.tenant,
                                       status="succeeded")
    make_attempt(delivery, ok=False)
    make_attempt(delivery, ok=True, minutes_ago=1)
    page = alice.get(reverse("portal:endpoints")).content.decode()
    assert "https://alice.example.com/hooks" in page and "Enabled" in page
    assert "50 %" in page and "(1/2)" in page and "succeeded" in page
    assert ">Add endpoint<" in page


def test_add_page_has_the_named_fields_and_the_catalogue(alice, catalogue):
    page = alice.get(reverse("portal:endpoint-add")).content.decode()
    assert {"URL", "Description", "Custom headers", "Rate limit"} <= _labels(page)
    assert "<legend>Event types</legend>" in page
    assert "invoice.paid" in page and "An invoice was paid." in page
    assert 'name="csrfmiddlewaretoken"' in page and ">Save<" in page


def test_add_an_endpoint(alice, catalogue):
    answer = alice.post(reverse("portal:endpoint-add"), {
        "url": "https://new.example.com/in", "description": "New", "event_types": ["call.ended"],
        "headers": "X-Team: billing\nAuthorization: Bearer t0k", "rate_limit": "5"})
    endpoint = Endpoint.objects.get(url="https://new.example.com/in")
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:endpoint", args=[endpoint.pk])
    assert endpoint.tenant.uid == "org_alice" and endpoint.event_types == ["call.ended"]
    assert endpoint.headers_to_send() == {"X-Team": "billing", "Authorization": "Bearer t0k"}
    assert endpoint.rate_limit == 5


@pytest.mark.parametrize("fields, field, message", [
    ({"url": "ftp://x.example.com"}, "url", ""),
    ({"url": "https://x.example.com", "event_types": ["nope.nope"]}, "event_types", "nope.nope"),
    ({"url": "https://x.example.com", "headers": "no colon here"}, "headers", "Line 1"),
    ({"url": "https://x.example.com", "headers": "Host: evil"}, "headers", ""),
    ({"url": "https://x.example.com", "rate_limit": "0"}, "rate_limit", ""),
])
def test_bad_input_is_shown_beside_its_field(alice, catalogue, fields, field, message):
    answer = alice.post(reverse("portal:endpoint-add"), fields)
    assert answer.status_code == 400
    assert not Endpoint.objects.exists()
    assert field in answer.context["form"].errors and message in str(answer.context["form"].errors[field])


def test_edit_keeps_redacted_header_values(alice, alice_endpoint):
    page = alice.get(reverse("portal:endpoint-edit", args=[alice_endpoint.pk])).content.decode()
    assert "alice-token" not in page and "Authorization: &lt;redacted&gt;" in page
    answer = alice.post(reverse("portal:endpoint-edit", args=[alice_endpoint.pk]), {
        "url": "https://alice.example.com/hooks/v2", "description": "Billing v2", "event_types": ["invoice.paid"],
        "headers": "Authorization: <redacted>", "rate_limit": ""})
    assert answer.status_code == 302
    alice_endpoint.refresh_from_db()
    assert alice_endpoint.url == "https://alice.example.com/hooks/v2" and alice_endpoint.description == "Billing v2"
    assert alice_endpoint.headers_to_send() == {"Authorization": "Bearer alice-token"}


def test_delete_asks_then_deletes(alice, alice_endpoint):
    page = alice.get(reverse("portal:endpoint-delete", args=[alice_endpoint.pk])).content.decode()
    assert ">Delete<" in page and Endpoint.objects.filter(pk=alice_endpoint.pk).exists()
    answer = alice.post(reverse("portal:endpoint-delete", args=[alice_endpoint.pk]))
    assert answer.status_code == 302 and not Endpoint.objects.filter(pk=alice_endpoint.pk).exists()


def test_disable_and_enable(alice, alice_endpoint):
    alice.post(reverse("portal:endpoint-disable", args=[alice_endpoint.pk]))
    alice_endpoint.refresh_from_db()
    assert alice_endpoint.disabled and alice_endpoint.disabled_reason == "Disabled in the portal."
    assert ">Enable<" in alice.get(reverse("portal:endpoint", args=[alice_endpoint.pk])).content.decode()
    alice.post(reverse("portal:endpoint-enable", args=[alice_endpoint.pk]))
    alice_endpoint.refresh_from_db()
    assert not alice_endpoint.disabled


def test_disable_is_post_only(alice, alice_endpoint):
    assert alice.get(reverse("portal:endpoint-disable", args=[alice_endpoint.pk])).status_code == 405


def test_forms_need_the_csrf_token(alice_endpoint, host_portal):
    from django.contrib.auth.models import User

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.create_user(username="alice"))
    answer = browser.post(reverse("portal:endpoint-delete", args=[alice_endpoint.pk]))
    assert answer.status_code == 403 and Endpoint.objects.filter(pk=alice_endpoint.pk).exists()


def test_read_only_hides_and_refuses_changes(client, alice_endpoint):
    from tests.portal.test_access import _start_session

    _start_session(client, "org_alice", read_only=True)
    page = client.get(reverse("portal:endpoint", args=[alice_endpoint.pk])).content.decode()
    assert "Reveal secret" not in page and "Delete" not in page and "Send test event" not in page
    assert client.post(reverse("portal:endpoint-delete", args=[alice_endpoint.pk])).status_code == 403
    assert Endpoint.objects.filter(pk=alice_endpoint.pk).exists()


def test_the_list_pages_without_counting(alice, catalogue, settings):
    from subscriptions import create_endpoint

    settings.WEBHOOKS_MAX_ENDPOINTS_PER_TENANT = 0
    for n in range(53):
        create_endpoint("org_alice", url=f"https://e{n}.example.com/")
    first = alice.get(reverse("portal:endpoints"))
    assert len(first.context["rows"]) == 50 and first.context["next_cursor"]
    second = alice.get(reverse("portal:endpoints"), {"after": first.context["next_cursor"]})
    urls = {row["endpoint"].url for row in first.context["rows"]} | {row["endpoint"].url
                                                                     for row in second.context["rows"]}
    assert len(second.context["rows"]) == 3 and len(urls) == 53 and second.context["next_cursor"] is None


def test_the_list_costs_the_same_queries_for_3_or_30_endpoints(alice, catalogue, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from delivery.models import Delivery, Event
    from subscriptions import create_endpoint
    from tests.admin.conftest import make_attempt

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert alice.get(reverse("portal:endpoints")).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    def add(count):
        for n in range(count):
            endpoint = create_endpoint("org_alice", url=f"https://e{n}-{count}.example.com/")
            event = Event.objects.create(tenant=endpoint.tenant, event_type="invoice.paid", body="{}")
            make_attempt(Delivery.objects.create(event=event, endpoint=endpoint, tenant=endpoint.tenant,
                                                 status="succeeded"), ok=True)

    add(3)
    few = queries()
    add(27)
    many = queries()
    assert len(many) == len(few) <= 10, many  # 8 today: session, user, tenant, page, four of health
    assert not [sql for sql in many if "COUNT(*)" in sql.upper() and "WHERE" not in sql.upper()]


def test_the_list_and_the_endpoint_page_compute_no_latency_they_do_not_show(alice, alice_endpoint):
    """The percentiles sort a day of attempts (bench/RESULTS.md, portal): only the console shows them."""
    from delivery.models import Delivery, Event
    from tests.admin.conftest import make_attempt

    event = Event.objects.create(tenant=alice_endpoint.tenant, event_type="invoice.paid", body="{}")
    delivery = Delivery.objects.create(event=event, endpoint=alice_endpoint, tenant=alice_endpoint.tenant,
                                       status="succeeded")
    make_attempt(delivery, ok=True)
    [row] = alice.get(reverse("portal:endpoints")).context["rows"]
    assert row["health"].attempts == 1 and row["health"].last_attempt is not None
    assert row["health"].p50_ms is None and row["health"].p95_ms is None
    health = alice.get(reverse("portal:endpoint", args=[alice_endpoint.pk])).context["health"]
    assert health.succeeded == 1 and (health.p50_ms, health.last_attempt) == (None, None)
