"""Every console page renders, with the figures an operator looks for, in a bounded number of queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from delivery.admin.lists import CappedCountPaginator
from delivery.models import Attempt, Delivery, Event
from subscriptions.models import ApiKey, Endpoint, EventType, Tenant

MODELS = [Tenant, EventType, Endpoint, ApiKey, Event, Delivery, Attempt]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_list_pages_render(admin_client, history, model):
    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_pages_render(admin_client, history, model):
    obj = model.objects.first() if model is not ApiKey else _api_key()
    response = admin_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200


def _api_key():
    from subscriptions import create_api_key

    return create_api_key(tenant="org_1", name="ci")[0]


def test_endpoint_list_shows_24h_health_per_endpoint(admin_client, history):
    page = admin_client.get(url(Endpoint, "changelist")).content.decode()
    good_row = _row(page, history["good"].pk)
    bad_row = _row(page, history["bad"].pk)
    assert "50.0%" in good_row and "200 OK" in good_row  # one success of two attempts, the last one OK
    assert "0.0%" in bad_row and "500" in bad_row
    assert "120 ms" in good_row  # every test attempt took 120 ms: p50 = p95


def test_endpoint_list_queries_do_not_grow_with_rows(admin_client, history, django_assert_max_num_queries):
    from subscriptions import create_endpoint

    admin_client.get(url(Endpoint, "changelist"))
    for n in range(15):
        create_endpoint("org_3", url=f"https://many-{n}.example.com/")
    with django_assert_max_num_queries(14):
        admin_client.get(url(Endpoint, "changelist"))


def test_disabled_endpoint_shows_why(admin_client, history):
    from subscriptions import disable_endpoint

    disable_endpoint(history["bad"], reason="The receiver answered 410 Gone.")
    row = _row(admin_client.get(url(Endpoint, "changelist")).content.decode(), history["bad"].pk)
    assert "disabled" in row and "410 Gone" in row


def test_failing_endpoints_are_filtered_shown_and_counted_through_their_send_state(admin_client, history):
    """The failure streak is delivery's ``EndpointState``: an endpoint without a row is healthy."""
    from delivery import selectors
    from delivery.models import EndpointState

    EndpointState.objects.create(endpoint=history["bad"], failing_since=timezone.now() - timedelta(hours=2))
    listed = admin_client.get(url(Endpoint, "changelist"), {"health": "failing"}).content.decode()
    assert 'value="' + history["bad"].pk + '"' in listed and "for 2\xa0hours" in _row(listed, history["bad"].pk)
    assert 'value="' + history["good"].pk + '"' not in listed
    healthy = admin_client.get(url(Endpoint, "changelist"), {"health": "healthy"}).content.decode()
    assert 'value="' + history["good"].pk + '"' in healthy and 'value="' + history["bad"].pk + '"' not in healthy
    assert selectors.endpoint_counts()["failing"] == 1
    change = admin_client.get(url(Endpoint, "change", history["bad"].pk)).content.decode()
    assert f"{EndpointState.objects.get().failing_since:%Y-%m-%d %H:%M:%S}" in change


def test_dashboard_shows_chart_failing_endpoints_and_backlog(admin_client, history):
    index = admin_client.get(reverse("admin:index")).content.decode()
    dashboard_url = reverse("admin:webhooks_dashboard")
    assert dashboard_url in index
    page = admin_client.get(dashboard_url).content.decode()
    assert "<svg" in page and page.count("<rect") >= 3
    failing = page[page.index("Top failing endpoints"):]
    assert failing.index("bad.example.com") < failing.index("other.example.com")
    assert "good.example.com" in failing  # it failed once too
    due = re.search(r"Due now</span>\s*<span[^>]*>(\d+)<", page).group(1)
    assert due == "2"  # the pending and the retrying delivery are overdue


def test_delivery_page_pretty_prints_payload_and_attempts(admin_client, history):
    page = admin_client.get(url(Delivery, "change", history["failed"].pk)).content.decode()
    assert "&quot;type&quot;: &quot;invoice.paid&quot;," in page  # indented JSON, not the compact bytes
    assert page.count('class="hp-attempt"') == 3
    assert "&lt;redacted&gt;" in page


def test_endpoint_page_hides_secret_and_credentials(admin_client, history):
    from subscriptions import reveal_secret

    page = admin_client.get(url(Endpoint, "change", history["good"].pk)).content.decode()
    assert reveal_secret(history["good"]) not in page
    assert reveal_secret(history["good"])[:10] not in page  # I1: not even the prefix
    # Custom header values are kept encrypted: the page names the headers, shows no value.
    assert "very-secret-token" not in page and "billing" not in page and "X-Team" in page


@pytest.mark.parametrize("term, expected", [
    ("key-2", {"retrying"}),                    # idempotency key
    ("org_2", {"other_failed"}),                # tenant uid
    ("bad.example", {"failed", "old_failed", "retrying"}),  # endpoint URL
])
def test_delivery_search(admin_client, history, term, expected):
    page = admin_client.get(url(Delivery, "changelist"), {"q": term}).content.decode()
    shown = {name for name in expected | {"succeeded", "pending", "failed", "other_failed"}
             if f'value="{history[name].pk}"' in page}
    assert shown == expected


def test_delivery_search_by_event_id(admin_client, history):
    page = admin_client.get(url(Delivery, "changelist"), {"q": history["events"][0].pk}).content.decode()
    assert f'value="{history["succeeded"].pk}"' in page and f'value="{history["failed"].pk}"' in page
    assert f'value="{history["retrying"].pk}"' not in page


def test_delivery_filters(admin_client, history):
    page = admin_client.get(url(Delivery, "changelist"),
                            {"status": "failed", "tenant_uid": "org_1", "within": "24h"}).content.decode()
    assert f'value="{history["failed"].pk}"' in page
    for name in ("old_failed", "other_failed", "retrying"):
        assert f'value="{history[name].pk}"' not in page


def test_paginator_counts_only_up_to_its_cap(history):
    paginator = CappedCountPaginator(Attempt.objects.all(), 2)
    paginator.cap = 3
    assert paginator.count == 3 and paginator.capped
    assert Attempt.objects.count() > 3


def _row(page, pk):
    start = page.index(f'value="{pk}"')
    return page[start:page.index("</tr>", start)]


def test_change_page_offers_only_the_actions_that_apply(admin_client, history):
    from subscriptions import disable_endpoint

    page = admin_client.get(url(Endpoint, "change", history["bad"].pk)).content.decode()
    assert "/act/disable/" in page and "/act/enable/" not in page and "/act/rotate_secret/" in page
    disable_endpoint(history["bad"], reason="test")
    page = admin_client.get(url(Endpoint, "change", history["bad"].pk)).content.decode()
    assert "/act/disable/" not in page and "/act/enable/" in page
    page = admin_client.get(url(Delivery, "change", history["succeeded"].pk)).content.decode()
    assert "/act/resend/" in page and "/act/cancel/" not in page


def test_deliveries_list_links_the_dashboard(admin_client, history):
    page = admin_client.get(url(Delivery, "changelist")).content.decode()
    assert reverse("admin:webhooks_dashboard") in page


def test_the_standalone_project_brands_its_own_console(admin_client):
    """hookplatform/admin.py: the header and the index's dashboard link (a host keeps Django's, see host_shop)."""
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "hookplatform console" in page and reverse("admin:webhooks_dashboard") in page
