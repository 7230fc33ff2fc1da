"""A tenant opens its portal by a link from the API, adds an endpoint, sees a delivery and resends it.

Real everything: the live Django server, a Celery worker process, an HTTP
receiver on 127.0.0.1 and Debian's Chromium.  Also: a used or expired link
is refused, another tenant's ids answer 404, and at 375 px no page is wider
than the screen.  Screenshots go to SCREENSHOT_DIR; with
``PORTAL_README_SHOTS=1`` the README's small PNGs are written to docs/portal/.
"""

import json
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import publish
from delivery.models import Delivery
from subscriptions import create_endpoint, ensure_event_type
from subscriptions.api_keys import create_api_key
from subscriptions.models import Endpoint, PortalLink
from subscriptions.tenants import create_tenant
from tests.browser.readme_shots import readme_shot
from tests.browser.test_admin_console import seed_history
from tests.worker import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def portal_link(live_server, tenant):
    """``POST /api/v1/tenants/{uid}/portal-sessions/`` over HTTP with a platform key: the one-time link."""
    key = create_api_key(name="portal-test")[1]
    request = urllib.request.Request(f"{live_server.url}/api/v1/tenants/{tenant}/portal-sessions/", data=b"{}",
                                     method="POST", headers={"Authorization": f"Bearer {key}",
                                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.loads(response.read())["url"]


def open_link(page, link):
    """Open a one-time link as a person does: its page posts the token (enter.js); the POST's status."""
    with page.expect_response(lambda answer: answer.request.method == "POST") as posted:
        page.goto(link)
    page.wait_for_load_state()
    return posted.value.status


def no_overflow(page):
    """Whether the page is no wider than the window (nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_tenant_adds_an_endpoint_sees_its_delivery_and_resends_it(live_worker, live_server, receiver, browser_page,
                                                                    screenshot_dir):
    # live_worker first: the test database is set up before the live server, so torn down after it.
    page = browser_page
    page.set_viewport_size({"width": 1100, "height": 800})
    create_tenant("acme", name="Acme Inc.")
    ensure_event_type("invoice.paid", description="An invoice was paid")
    ensure_event_type("invoice.created", description="An invoice was created")
    other = create_endpoint("globex", url=receiver.url("/globex"))
    other_event = publish("invoice.paid", {"invoice_id": "in_other"}, tenant="globex")

    assert open_link(page, portal_link(live_server, "acme")) == 302
    page.get_by_role("link", name="Add endpoint").click()
    page.get_by_role("textbox", name="URL", exact=True).fill(receiver.url("/billing"))
    page.get_by_label("Description").fill("Billing receiver")
    page.get_by_role("group", name="Event types").get_by_label("invoice.paid").check()
    page.get_by_role("button", name="Save").click()
    endpoint = wait_until(lambda: Endpoint.objects.filter(tenant__uid="acme").first(), timeout=10,
                          what="the endpoint to be saved")
    assert endpoint.url == receiver.url("/billing") and endpoint.event_types == ["invoice.paid"]
    seed_history([endpoint])  # a day of past deliveries, about half of them failed, for the log and the chart

    event = publish("invoice.paid", {"invoice_id": "in_42", "amount": 4200}, tenant="acme")
    receiver.wait_for(1, "/billing")
    delivery = wait_until(lambda: Delivery.objects.filter(event=event, status="succeeded").first(), timeout=30,
                          what="the delivery to succeed")
    page.get_by_role("navigation").get_by_role("link", name="Deliveries").click()
    row = page.locator("tr", has_text=event.id)
    assert "Succeeded" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "portal-deliveries.png"), full_page=True)
    readme_shot(page, "deliveries")

    row.get_by_role("link", name=f"#{delivery.pk}").click()
    assert page.locator(".attempt").count() == 1 and "200" in page.locator(".attempt").inner_text()
    page.get_by_role("button", name="Resend").click()
    assert "Resent" in page.get_by_role("status").inner_text()
    receiver.wait_for(2, "/billing")

    def two_attempts():
        page.reload()
        return page.locator(".attempt").count() == 2

    wait_until(two_attempts, timeout=30, interval=0.5, what="the second attempt on the page")
    assert "manual" in page.locator(".attempt").first.inner_text().lower()
    page.screenshot(path=str(screenshot_dir / "portal-delivery.png"), full_page=True)
    readme_shot(page, "delivery")

    page.get_by_role("navigation").get_by_role("link", name="Figures").click()
    assert page.locator("svg.hp-chart rect").count() > 10
    page.screenshot(path=str(screenshot_dir / "portal-figures.png"), full_page=True)
    readme_shot(page, "figures")

    other_delivery = wait_until(lambda: Delivery.objects.filter(event=other_event).first(), timeout=30,
                                what="globex's delivery")
    for url in (f"/webhooks/deliveries/{other_delivery.pk}/", f"/webhooks/endpoints/{other.pk}/",
                f"/webhooks/endpoints/{other.pk}/recover/",
                f"/webhooks/figures/?endpoint={other.pk}"):
        assert page.goto(f"{live_server.url}{url}").status == 404, url

    page.set_viewport_size({"width": 375, "height": 740})
    for name, url in (("endpoints", "/webhooks/"), ("deliveries", "/webhooks/deliveries/"),
                      ("delivery", f"/webhooks/deliveries/{delivery.pk}/"),
                      ("figures", f"/webhooks/figures/?endpoint={endpoint.pk}&window=7d"),
                      ("recover", f"/webhooks/endpoints/{endpoint.pk}/recover/"),
                      ("catalogue", "/webhooks/catalogue/")):
        assert page.goto(f"{live_server.url}{url}").status == 200, url
        assert no_overflow(page), f"{url} is wider than 375 px"
        page.screenshot(path=str(screenshot_dir / f"portal-375-{name}.png"), full_page=True)


def test_a_used_or_expired_link_is_refused(live_server, browser_page, transactional_db):
    page = browser_page
    create_tenant("acme")
    link = portal_link(live_server, "acme")
    for _ in range(2):  # a chat's link preview: a GET and a HEAD, no script run
        assert page.request.get(link).status == 200 and page.request.head(link).status == 200
    assert open_link(page, link) == 302 and page.url.endswith("/webhooks/")  # in, and the token is gone
    assert open_link(page, link) == 403  # used once already
    assert "used, expired or unknown" in page.content()

    expired = portal_link(live_server, "acme")
    PortalLink.objects.filter(used_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    page.context.clear_cookies()
    assert open_link(page, expired) == 403
    assert page.goto(f"{live_server.url}/webhooks/deliveries/").status == 403  # and no session came of it


def test_without_javascript_the_link_waits_for_the_continue_button(live_server, browser_page, transactional_db):
    create_tenant("acme")
    link = portal_link(live_server, "acme")
    context = browser_page.context.browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        assert page.goto(link).status == 200 and page.url == link  # nothing posted by itself
        assert PortalLink.objects.get().used_at is None
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{live_server.url}/webhooks/")
        page.get_by_role("heading", name="Endpoints").wait_for()
    finally:
        context.close()
