"""An operator logs in, reads the dashboard, opens a failed delivery, resends it and sees it succeed.

Real everything: the live Django server, a Celery worker process, an HTTP
receiver on 127.0.0.1 and Debian's Chromium.
"""

import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from delivery import publish
from delivery.models import Attempt, Delivery, Event
from subscriptions import create_endpoint, ensure_event_type, reveal_secret
from tests.worker import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def seed_history(endpoints):
    """A day of past deliveries (mostly delivered, some failed), so the dashboard has something to show."""
    rng = random.Random(7)
    now = timezone.now()
    for hour in range(1, 24):
        for n in range(rng.randint(4, 14)):
            endpoint = endpoints[n % len(endpoints)]
            at = now - timedelta(hours=hour, minutes=rng.randint(0, 59))
            event = Event.objects.create(tenant=endpoint.tenant, event_type="invoice.paid", created_at=at,
                                         occurred_at=at, fanned_out_at=at, body='{"type":"invoice.paid"}')
            ok = rng.random() > (0.5 if "billing" in endpoint.url else 0.05)
            delivery = Delivery.objects.create(event=event, endpoint=endpoint, tenant=endpoint.tenant,
                                               status="succeeded" if ok else "failed", attempt_count=1,
                                               created_at=at, finished_at=at, last_response_status=200 if ok else 503)
            Attempt.objects.create(delivery=delivery, endpoint=endpoint, started_at=at, succeeded=ok,
                                   duration_ms=rng.randint(40, 400), request_url=endpoint.url,
                                   response_status=200 if ok else 503)


def test_operator_resends_a_failed_delivery(live_worker, live_server, receiver, browser_page, screenshot_dir):
    # live_worker first: the test database is set up before the live server, so torn down after it.
    page = browser_page
    User.objects.create_superuser("ops", "ops@example.com", "correct horse battery")
    ensure_event_type("invoice.paid", description="An invoice was paid")
    flaky = create_endpoint("acme", url=receiver.url("/billing"), description="Billing receiver")
    steady = create_endpoint("acme", url=receiver.url("/crm"))
    create_endpoint("globex", url=receiver.url("/ledger"))
    seed_history([flaky, steady])
    receiver.answer("/billing", 503)
    event = publish("invoice.paid", {"invoice_id": "in_42", "amount": 4200}, tenant="acme",
                    idempotency_key="in_42-paid")
    failed = wait_until(lambda: Delivery.objects.filter(event=event, endpoint=flaky, status="failed").first(),
                        timeout=40, what="the delivery to fail for good")
    receiver.answer("/billing", 200)

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.click("text=Webhook dashboard")
    assert page.locator("svg.hp-chart rect").count() > 10
    assert flaky.url in page.locator(".hp-card", has_text="Top failing endpoints").inner_text()
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/hookplatform_subscriptions/endpoint/")
    assert "503" in page.locator("#result_list tr", has_text="/billing").inner_text()
    page.screenshot(path=str(screenshot_dir / "endpoints.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/hookplatform_delivery/delivery/?status=failed&q=in_42-paid")
    page.click(f"#result_list a:text-is('{failed.pk}')")
    assert "failed" in page.locator(".field-state").inner_text()
    page.click("a.hp-tool:text('Resend now')")
    page.click("input[name=confirm]")
    assert "Resent 1 delivery." in page.locator(".messagelist").inner_text()

    got = receiver.wait_for(5, "/billing")[-1]  # four failed attempts, then the resend
    assert Webhook(reveal_secret(flaky)).verify(got.body, got.headers)["data"]["invoice_id"] == "in_42"
    assert got.headers["webhook-id"] == event.id

    def shows_succeeded():
        page.reload()
        return "succeeded" in page.locator(".field-state").inner_text()

    wait_until(shows_succeeded, timeout=30, interval=0.5, what="the page to show the resend succeeded")
    assert page.locator(".hp-attempt").count() == 5
    assert "manual" in page.locator(".hp-attempt").first.inner_text()
    page.screenshot(path=str(screenshot_dir / "delivery.png"), full_page=True)
