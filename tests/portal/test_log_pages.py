"""The portal's log pages through Django's test client: scoped to the tenant, resend and recover, read-only.

Another tenant's delivery and endpoint ids answer 404; a read-only session
may read everything and change nothing.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from delivery.models import Attempt, Delivery
from delivery.portal import queries
from tests.admin.conftest import make_delivery, make_event


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def delivery_ids(response):
    return [int(pk) for pk in re.findall(r'href="/webhooks/deliveries/(\d+)/"', response.content.decode())]


def test_the_log_lists_the_tenants_deliveries_only(portal, history):
    response = portal().get(reverse("portal:deliveries"))
    assert response.status_code == 200
    mine = list(Delivery.objects.filter(tenant__uid="org_1").order_by("-id").values_list("id", flat=True))
    assert delivery_ids(response) == mine and history["other_failed"].pk not in delivery_ids(response)
    assert history["bad"].url in text(response) and history["other"].url not in text(response)


def test_the_filters_are_a_get_form(portal, history):
    client = portal()
    url = reverse("portal:deliveries")
    failed = client.get(url, {"status": "failed", "endpoint": history["bad"].pk})
    assert delivery_ids(failed) == [history["old_failed"].pk, history["failed"].pk]  # newest id first
    found = client.get(url, {"event": history["events"][0].pk})
    assert sorted(delivery_ids(found)) == sorted([history["succeeded"].pk, history["failed"].pk])
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert history["old_failed"].pk not in delivery_ids(client.get(url, {"since": since}))
    assert delivery_ids(client.get(url, {"until": since})) == [history["old_failed"].pk]
    assert 'method="get"' in text(failed) and 'name="event_type"' in text(failed)


@pytest.mark.parametrize("query", [{"status": "lost"}, {"event": "msg_<script>"}, {"before": "x"},
                                   {"before": "99999999999999999999"}, {"since": "yesterday"},
                                   {"before": "5", "after": "3"}])
def test_bad_filter_values_answer_400_with_the_fields_message(portal, history, query):
    response = portal().get(reverse("portal:deliveries"), query)
    assert response.status_code == 400 and 'class="error"' in text(response)


def test_another_tenants_endpoint_filter_finds_nothing(portal, history):
    response = portal().get(reverse("portal:deliveries"), {"endpoint": history["other"].pk})
    assert response.status_code == 400 and not delivery_ids(response)


def test_newer_and_older_walk_the_log_by_keyset(portal, history, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    client = portal()
    everything = list(Delivery.objects.filter(tenant__uid="org_1").order_by("-id").values_list("id", flat=True))
    first = client.get(reverse("portal:deliveries"))
    assert delivery_ids(first) == everything[:2] and ">Newer<" not in text(first)
    older = re.search(r'href="(\?[^"]*before=\d+)"[^>]*>Older<', text(first)).group(1).replace("&amp;", "&")
    second = client.get(reverse("portal:deliveries") + older)
    assert delivery_ids(second) == everything[2:4]
    newer = re.search(r'href="(\?[^"]*after=\d+)"[^>]*>Newer<', text(second)).group(1).replace("&amp;", "&")
    assert delivery_ids(client.get(reverse("portal:deliveries") + newer)) == everything[:2]


def test_filters_are_kept_by_the_page_links(portal, history, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 1)
    response = portal().get(reverse("portal:deliveries"), {"endpoint": history["bad"].pk})
    older = re.search(r'href="(\?[^"]*)"[^>]*>Older<', text(response)).group(1)
    assert f"endpoint={history['bad'].pk}" in older and "before=" in older


def test_a_delivery_page_shows_every_attempt(portal, history):
    response = portal().get(reverse("portal:delivery", args=[history["failed"].pk]))
    assert response.status_code == 200
    page = text(response)
    assert page.count('class="attempt"') == 3
    for shown in ("Request headers", "&lt;redacted&gt;", "Response status", "Response headers",
                  "content-type", "Response body", "ms ·"):
        assert shown in page
    assert ">Resend</button>" in page


@pytest.mark.parametrize("pk", ["other", "999999", "abc", "1" * 30])
def test_another_tenants_or_unknown_delivery_answers_404(portal, history, pk):
    pk = str(history["other_failed"].pk) if pk == "other" else pk
    client = portal()
    assert client.get(reverse("portal:delivery", args=[pk])).status_code == 404
    assert client.post(reverse("portal:resend", args=[pk])).status_code == 404


def test_resend_is_a_new_attempt_through_the_domain_function(portal, history, handed_over,
                                                             django_capture_on_commit_callbacks):
    failed = history["failed"]
    with django_capture_on_commit_callbacks(execute=True):
        response = portal().post(reverse("portal:resend", args=[failed.pk]))
    assert response.status_code == 302 and response["Location"].endswith(f"/{failed.pk}/?resent=1")
    failed.refresh_from_db()
    assert failed.status == "sending"  # claimed for the manual attempt
    assert [call[0] for call in handed_over] == ["batch"] and handed_over[0][1] == [failed.pk]
    assert handed_over[0][3] == Attempt.Trigger.MANUAL


def test_resend_refused_by_the_domain_shows_its_message(portal, history, handed_over):
    history["bad"].disabled = True
    history["bad"].save(update_fields=["disabled"])
    response = portal().post(reverse("portal:resend", args=[history["failed"].pk]))
    assert response.status_code == 409 and "enable it before resending" in text(response)
    assert not handed_over


def test_resend_is_post_only(portal, history):
    assert portal().get(reverse("portal:resend", args=[history["failed"].pk])).status_code == 405


def test_recover_sends_failed_deliveries_since_a_time_again(portal, history):
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    url = reverse("portal:recover", args=[history["bad"].pk])
    assert portal().get(url).status_code == 200
    response = portal().post(url, {"since": since})
    assert response.status_code == 200 and "1 failed delivery will be sent again." in text(response)
    assert Delivery.objects.get(pk=history["failed"].pk).status == "retrying"
    assert Delivery.objects.get(pk=history["old_failed"].pk).status == "failed"  # before since


def test_recover_refuses_what_the_domain_refuses(portal, history):
    too_old = (timezone.now() - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    response = portal().post(reverse("portal:recover", args=[history["bad"].pk]), {"since": too_old})
    assert response.status_code == 400 and "WEBHOOKS_RECOVER_WINDOW" in text(response)
    assert portal().post(reverse("portal:recover", args=[history["bad"].pk]), {}).status_code == 400


def test_another_tenants_endpoint_cannot_be_recovered_or_charted(portal, history):
    client = portal()
    url = reverse("portal:recover", args=[history["other"].pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"since": timezone.now().strftime("%Y-%m-%dT%H:%M")}).status_code == 404
    assert Delivery.objects.get(pk=history["other_failed"].pk).status == "failed"
    assert client.get(reverse("portal:figures"), {"endpoint": history["other"].pk}).status_code == 404


def test_read_only_sessions_read_but_cannot_resend_or_recover(portal, history, handed_over):
    client = portal(read_only=True)
    page = client.get(reverse("portal:delivery", args=[history["failed"].pk]))
    assert page.status_code == 200 and ">Resend</button>" not in text(page)
    assert client.post(reverse("portal:resend", args=[history["failed"].pk])).status_code == 403
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(reverse("portal:recover", args=[history["bad"].pk]), {"since": since}).status_code == 403
    assert Delivery.objects.get(pk=history["failed"].pk).status == "failed" and not handed_over


def test_figures_chart_the_endpoints_hours_without_script(portal, history):
    client = portal()
    make_delivery(make_event(history["bad"].tenant, 80), history["bad"], "succeeded", created_ago=timedelta(days=3))
    day = client.get(reverse("portal:figures"), {"endpoint": history["bad"].pk})
    assert day.status_code == 200 and "<script" not in text(day)
    assert text(day).count("<rect ") == 2  # one failed and one retrying delivery, in their hours
    assert "Latency p95" in text(day) and "120 ms" in text(day)
    week = client.get(reverse("portal:figures"), {"endpoint": history["bad"].pk, "window": "7d"})
    assert text(week).count("<rect ") == 4 and "last 7 days" in text(week)
    assert client.get(reverse("portal:figures"), {"window": "1y"}).status_code == 400
    first = client.get(reverse("portal:figures"))  # the newest endpoint when none is chosen
    assert first.status_code == 200 and "<svg" in text(first)


@pytest.mark.parametrize("name, args", [("deliveries", []), ("delivery", ["1"]), ("figures", []),
                                        ("recover", ["ep_01M906W2ZT878PQRG0WAVNQHGR"])])
def test_without_a_portal_session_the_log_answers_403(client, history, name, args):
    assert client.get(reverse(f"portal:{name}", args=args)).status_code == 403


def test_an_endpoint_page_links_to_its_log_figures_and_recovery(portal, history):
    page = text(portal().get(reverse("portal:endpoint", args=[history["bad"].pk])))
    assert f'/webhooks/deliveries/?endpoint={history["bad"].pk}' in page
    assert f'/webhooks/figures/?endpoint={history["bad"].pk}' in page
    assert reverse("portal:recover", args=[history["bad"].pk]) in page
    assert reverse("portal:recover", args=[history["bad"].pk]) not in text(
        portal(read_only=True).get(reverse("portal:endpoint", args=[history["bad"].pk])))
