"""Each console action asks first, then changes what it should through its domain function, and nothing else."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from delivery import operations
from delivery.models import Delivery, Event
from subscriptions import api_keys, endpoints, secrets
from subscriptions.models import ApiKey, Endpoint
from tests.admin.conftest import snapshot


@pytest.fixture
def calls(monkeypatch):
    """Spies on the domain functions the admin must go through (they still run for real)."""
    recorded = []

    def spy(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            recorded.append((name, args[0].pk if args else None))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    for module, name in [(operations, "retry_delivery"), (operations, "cancel_delivery"),
                         (operations, "recover_endpoint"), (operations, "send_test_event"),
                         (endpoints, "disable_endpoint"), (endpoints, "enable_endpoint"),
                         (secrets, "rotate_secret"), (api_keys, "revoke_api_key")]:
        spy(module, name)
    return recorded


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def act(client, model, action, objects, **data):
    """Choose an action on the list (which shows the confirmation page), then confirm it."""
    selected = {"action": action, "_selected_action": [obj.pk for obj in objects]}
    page = client.post(changelist(model), {**selected, "index": 0})
    assert page.status_code == 200 and b'name="confirm"' in page.content
    return client.post(changelist(model), {**selected, "select_across": "0", "confirm": "yes", **data}, follow=True)


def object_action(client, obj, action):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_act", args=[obj.pk, action])


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def changed(before, after):
    """The (table, pk) pairs whose values differ between two snapshots."""
    diff = set()
    for table in ("deliveries", "endpoints", "secrets"):
        keys = set(before[table]) | set(after[table])
        diff |= {(table, key) for key in keys if before[table].get(key) != after[table].get(key)}
    return diff


def test_choosing_an_action_changes_nothing_until_confirmed(admin_client, history):
    before = snapshot()
    page = admin_client.post(changelist(Delivery), {"action": "resend", "index": 0,
                                                     "_selected_action": [history["failed"].pk]})
    assert b"Resend now" in page.content and b"Yes, resend now" in page.content
    assert snapshot() == before


def test_resend_claims_the_delivery_for_a_manual_attempt(admin_client, history, calls):
    failed = history["failed"]
    before = snapshot()
    response = act(admin_client, Delivery, "resend", [failed])
    assert calls == [("retry_delivery", failed.pk)]
    assert messages_of(response) == ["Resent 1 delivery."]
    failed.refresh_from_db()
    assert failed.status == "sending" and failed.lease_token
    assert changed(before, snapshot()) == {("deliveries", failed.pk)}


def test_resend_reports_a_delivery_being_sent(admin_client, history, calls):
    Delivery.objects.filter(pk=history["pending"].pk).update(status="sending")
    response = act(admin_client, Delivery, "resend", [history["pending"], history["failed"]])
    assert "Resent 1 delivery. Skipped 1" in messages_of(response)[0]


def test_resend_to_a_disabled_endpoint_is_refused_with_a_message(admin_client, history, calls):
    """L15: a finished delivery of a disabled endpoint is not turned back into a waiting one."""
    from subscriptions import disable_endpoint

    disable_endpoint(history["good"], reason="by hand")
    before = snapshot()
    response = act(admin_client, Delivery, "resend", [history["succeeded"]])
    assert "Skipped 1" in messages_of(response)[0] and "endpoint is disabled" in messages_of(response)[0]
    assert snapshot() == before


def test_cancel_stops_a_waiting_delivery(admin_client, history, calls):
    retrying = history["retrying"]
    before = snapshot()
    act(admin_client, Delivery, "cancel", [retrying])
    retrying.refresh_from_db()
    assert calls == [("cancel_delivery", retrying.pk)] and retrying.status == "cancelled"
    assert changed(before, snapshot()) == {("deliveries", retrying.pk)}


def test_disable_asks_for_a_reason_and_parks_waiting_deliveries(admin_client, history, calls):
    bad = history["bad"]
    before = snapshot()
    url = object_action(admin_client, bad, "disable")
    assert b'name="reason"' in admin_client.get(url).content
    response = admin_client.post(url, {"confirm": "yes", "reason": "Receiver is being migrated."}, follow=True)
    assert calls == [("disable_endpoint", bad.pk)]
    assert messages_of(response) == [f"Disabled 1 endpoint: {bad.pk}."]
    bad.refresh_from_db()
    assert bad.disabled and bad.disabled_reason == "Receiver is being migrated."
    assert changed(before, snapshot()) == {("endpoints", bad.pk), ("deliveries", history["retrying"].pk)}
    assert Delivery.objects.get(pk=history["retrying"].pk).next_attempt_at is None


def test_enable_resumes_the_endpoint(admin_client, history, calls):
    bad = history["bad"]
    endpoints.disable_endpoint(bad, reason="test")
    calls.clear()
    act(admin_client, Endpoint, "enable", [bad, history["good"]])
    bad.refresh_from_db()
    assert calls == [("enable_endpoint", bad.pk)]  # good was enabled already: left alone
    assert not bad.disabled and bad.disabled_reason == ""
    assert Delivery.objects.get(pk=history["retrying"].pk).next_attempt_at is not None


def test_rotate_secret_keeps_the_old_one_signing(admin_client, history, calls):
    good = history["good"]
    old = secrets.reveal_secret(good)
    before = snapshot()
    response = act(admin_client, Endpoint, "rotate_secret", [good])
    assert calls == [("rotate_secret", good.pk)]
    assert "Rotated the secret of 1 endpoint" in messages_of(response)[0]
    assert secrets.reveal_secret(good) != old
    assert old in secrets.active_secrets(good)
    assert {table for table, _ in changed(before, snapshot())} == {"secrets"}
    assert all(s.endpoint_id == good.pk for s in good.secrets.all())


def test_send_test_event_goes_to_the_chosen_endpoint_only(admin_client, history, calls):
    good = history["good"]
    before = snapshot()
    response = act(admin_client, Endpoint, "send_test", [good], event_type="call.ended")
    assert calls == [("send_test_event", good.pk)]
    new_events = Event.objects.exclude(pk__in=before["events"])
    assert len(new_events) == 1 and new_events[0].event_type == "call.ended"
    assert new_events[0].pk in messages_of(response)[0]
    assert list(new_events[0].deliveries.values_list("endpoint_id", flat=True)) == [good.pk]
    assert changed(before, snapshot()) == {("deliveries", new_events[0].deliveries.get().pk)}


def test_recover_resends_failed_deliveries_since_the_chosen_time(admin_client, history, calls):
    bad = history["bad"]
    since = timezone.now() - timedelta(days=1)
    before = snapshot()
    url = object_action(admin_client, bad, "recover")
    assert b'name="since_0"' in admin_client.get(url).content
    response = admin_client.post(url, {"confirm": "yes", "since_0": f"{since:%Y-%m-%d}",
                                       "since_1": f"{since:%H:%M:%S}"}, follow=True)
    assert calls == [("recover_endpoint", bad.pk)]
    assert "Resending 1 failed delivery" in messages_of(response)[0]
    assert Delivery.objects.get(pk=history["failed"].pk).status == "retrying"  # due now, for the dispatcher
    assert changed(before, snapshot()) == {("deliveries", history["failed"].pk)}  # not the 3-day-old one


def test_recover_refuses_a_time_in_the_future(admin_client, history, calls):
    """The rule is the domain's (``recover_endpoint``); the admin says its refusal, as for the window."""
    later = timezone.now() + timedelta(days=1)
    before = snapshot()
    page = admin_client.post(object_action(admin_client, history["bad"], "recover"),
                             {"confirm": "yes", "since_0": f"{later:%Y-%m-%d}", "since_1": "00:00:00"}, follow=True)
    assert page.status_code == 200 and messages_of(page) == ["since must be in the past."]
    assert calls == [("recover_endpoint", history["bad"].pk)] and snapshot() == before  # asked, refused


def test_creating_an_api_key_shows_it_once(admin_client, history):
    response = admin_client.post(reverse("admin:hookplatform_subscriptions_apikey_add"), {"name": "billing"})
    page = response.content.decode()
    assert "not be shown again" in page and not messages_of(response)  # L10: on the page, not in a cookie
    key = page.split("<code class=\"hp-secret\">")[1].split("</code>")[0]
    api_key = api_keys.authenticate_key(key)
    assert api_key.name == "billing" and api_key.is_platform
    change = reverse("admin:hookplatform_subscriptions_apikey_change", args=[api_key.pk])
    page = admin_client.get(change).content.decode()
    assert key not in page and api_key.key_hash not in page and api_key.prefix in page
    assert api_key.key_hash not in admin_client.get(changelist(ApiKey)).content.decode()


def test_revoke_api_key(admin_client, history, calls):
    api_key, key = api_keys.create_api_key(tenant="org_1", name="old")
    act(admin_client, ApiKey, "revoke", [api_key])
    assert calls == [("revoke_api_key", api_key.pk)] and api_keys.authenticate_key(key) is None


def test_reveal_shows_the_secret_after_confirming_and_logs_it(admin_client, history):
    good = history["good"]
    url = reverse("admin:hookplatform_subscriptions_endpoint_secret", args=[good.pk])
    secret = secrets.reveal_secret(good)
    assert secret not in admin_client.get(url).content.decode()
    assert secret in admin_client.post(url).content.decode()
    assert LogEntry.objects.filter(object_id=good.pk, change_message="Revealed the signing secret").exists()


def test_endpoint_created_and_edited_through_domain_validation(admin_client, history):
    add = reverse("admin:hookplatform_subscriptions_endpoint_add")
    refused = admin_client.post(add, {"tenant": history["good"].tenant_id, "url": "https://x.example.com/",
                                      "event_types": '["no.such.type"]', "metadata": "{}"})
    assert refused.status_code == 200 and b"Unknown event types: no.such.type" in refused.content
    response = admin_client.post(add, {"tenant": history["good"].tenant_id, "url": "https://new.example.com/h",
                                       "event_types": '["invoice.*"]', "metadata": "{}",
                                       "replace_headers": '{"X-Team": "ops"}'})
    assert response.status_code == 302
    created = Endpoint.objects.get(url="https://new.example.com/h")
    assert created.headers_to_send() == {"X-Team": "ops"} and secrets.reveal_secret(created).startswith("whsec_")
    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[created.pk])
    admin_client.post(change, {"url": "https://new.example.com/v2", "event_types": "[]", "metadata": "{}",
                               "description": "v2"})
    created.refresh_from_db()
    assert created.url == "https://new.example.com/v2" and created.headers_to_send() == {"X-Team": "ops"}


def test_an_action_refuses_more_rows_than_its_bound(admin_client, history, calls, monkeypatch):
    from delivery.admin import actions

    monkeypatch.setattr(actions, "MAX_SELECTED", 2)
    before = snapshot()
    response = admin_client.post(changelist(Delivery), {"action": "resend", "select_across": "1", "index": 0,
                                                         "_selected_action": [history["failed"].pk]}, follow=True)
    assert messages_of(response) == ["Select at most 2 rows at a time."]
    assert calls == [] and snapshot() == before


def test_recover_beyond_the_window_is_said_not_a_500(admin_client, history, calls):
    """M7: the admin action obeys WEBHOOKS_RECOVER_WINDOW; the refusal is a message."""
    long_ago = timezone.now() - timedelta(days=30)
    before = snapshot()
    response = admin_client.post(object_action(admin_client, history["bad"], "recover"),
                                 {"confirm": "yes", "since_0": f"{long_ago:%Y-%m-%d}", "since_1": "00:00:00"},
                                 follow=True)
    assert response.status_code == 200
    assert "at most 7 days ago" in messages_of(response)[0]
    assert snapshot() == before
