"""Operational notifications: mail to the tenant's contact, events to a platform-level tenant."""

import json

import pytest

from delivery.models import Delivery, Event
from delivery.signals import delivery_exhausted
from subscriptions import create_endpoint, disable_endpoint, ensure_event_type
from subscriptions.tenants import create_tenant


@pytest.fixture
def endpoint(db):
    ensure_event_type("invoice.paid")
    create_tenant("org_n", name="Org N", contact_email="ops@org-n.example")
    return create_endpoint("org_n", url="http://127.0.0.1:9/hook")


@pytest.fixture
def exhausted_delivery(endpoint):
    event = Event.objects.create(tenant=endpoint.tenant, event_type="invoice.paid", body="{}")
    return Delivery.objects.create(event=event, endpoint=endpoint, tenant=endpoint.tenant, status="failed",
                                   attempt_count=8, last_error="HTTP 500", last_response_status=500)


def operational_events(event_type):
    return [json.loads(e.body)["data"] for e in Event.objects.filter(event_type=event_type, tenant__uid="ops")]


def test_nothing_is_sent_by_default(endpoint, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        disable_endpoint(endpoint, reason="The receiver answered 410 Gone.")
    assert mailoutbox == []
    assert not Event.objects.filter(event_type="endpoint.disabled").exists()


def test_disabling_mails_the_contact_and_tells_the_operational_tenant(
        endpoint, settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_NOTIFY_EMAIL = True
    settings.WEBHOOKS_OPERATIONAL_TENANT = "ops"

    with django_capture_on_commit_callbacks(execute=True):
        disable_endpoint(endpoint, reason="The receiver answered 410 Gone.")

    assert [m.to for m in mailoutbox] == [["ops@org-n.example"]]
    assert "410 Gone" in mailoutbox[0].body and endpoint.url in mailoutbox[0].subject
    [data] = operational_events("endpoint.disabled")
    assert data["tenant"] == "org_n" and data["endpoint_id"] == endpoint.pk
    assert data["reason"] == "The receiver answered 410 Gone."


def test_exhaustion_is_published_each_time_but_mailed_once_an_hour(
        exhausted_delivery, settings, mailoutbox, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    cache.clear()
    settings.WEBHOOKS_NOTIFY_EMAIL = True
    settings.WEBHOOKS_OPERATIONAL_TENANT = "ops"
    second = Delivery.objects.create(event=Event.objects.create(tenant=exhausted_delivery.tenant,
                                                                event_type="invoice.paid", body="{}"),
                                     endpoint=exhausted_delivery.endpoint, tenant=exhausted_delivery.tenant,
                                     status="failed", attempt_count=8)

    with django_capture_on_commit_callbacks(execute=True):
        delivery_exhausted.send(sender=Delivery, delivery=exhausted_delivery)
        delivery_exhausted.send(sender=Delivery, delivery=second)

    assert len(mailoutbox) == 1 and exhausted_delivery.event_id in mailoutbox[0].body
    published = operational_events("delivery.exhausted")
    assert sorted(d["delivery_id"] for d in published) == [exhausted_delivery.pk, second.pk]
    first = next(d for d in published if d["delivery_id"] == exhausted_delivery.pk)
    assert first["last_error"] == "HTTP 500" and first["attempts"] == 8


def test_the_operational_tenants_own_endpoints_do_not_feed_themselves(db, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.WEBHOOKS_OPERATIONAL_TENANT = "ops"
    ops_endpoint = create_endpoint("ops", url="http://127.0.0.1:9/alerts")
    with django_capture_on_commit_callbacks(execute=True):
        disable_endpoint(ops_endpoint, reason="down")
    assert not Event.objects.filter(event_type="endpoint.disabled").exists()


def test_a_failing_mail_server_does_not_break_disabling(endpoint, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_NOTIFY_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    with django_capture_on_commit_callbacks(execute=True):
        disable_endpoint(endpoint, reason="down")
    endpoint.refresh_from_db()
    assert endpoint.disabled


def test_notifications_carry_only_redacted_urls(db, receiver, settings, mailoutbox,
                                                django_capture_on_commit_callbacks):
    """M5: a receiver answers 410 to its only attempt: mail and operational events never hold the password."""
    from delivery.fanout import fan_out_for_sending
    from delivery.publishing import publish
    from delivery.sending import deliver_batch

    settings.WEBHOOKS_NOTIFY_EMAIL = True
    settings.WEBHOOKS_OPERATIONAL_TENANT = "ops"
    settings.WEBHOOKS_RETRY_SCHEDULE = ""  # one attempt: exhausted at once
    ensure_event_type("invoice.paid")
    create_tenant("org_m5", name="Org M5", contact_email="ops@org-m5.example")
    password = "hunter2-s3cret"
    endpoint = create_endpoint("org_m5", url=f"http://alice:{password}@127.0.0.1:{receiver.port}/gone")
    receiver.answer("/gone", 410)
    event = publish("invoice.paid", {"n": 1}, tenant="org_m5")
    rows, token, _ = fan_out_for_sending(event.id, send_now=0)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_batch([row.pk for row in rows], token)

    assert len(mailoutbox) == 2  # disabled, exhausted
    published = Event.objects.filter(tenant__uid="ops")
    assert {e.event_type for e in published} == {"endpoint.disabled", "delivery.exhausted"}
    said = [m.subject + m.body for m in mailoutbox] + [e.body for e in published]
    assert all(password not in text for text in said), said
    assert endpoint.redacted_url in mailoutbox[0].subject + mailoutbox[1].body
