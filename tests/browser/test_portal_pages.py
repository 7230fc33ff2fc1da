"""A tenant opens a one-time portal link in Chromium, adds an endpoint, reveals and rotates its secret;
every page fits 375 px, in light and in dark.  Screenshots go to var/screenshots/ (SCREENSHOT_DIR); with
``PORTAL_README_SHOTS=1`` the README's small PNGs are written to docs/portal/ (tests/browser/readme_shots.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from delivery.models import Attempt, Delivery, Event
from subscriptions import create_endpoint, ensure_event_type
from subscriptions.portal_links import create_portal_link
from tests.browser.readme_shots import readme_shot

pytestmark = [pytest.mark.browser]

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def seed(tenant):
    ensure_event_type("invoice.paid", description="An invoice was paid.",
                      schema={"type": "object", "properties": {"invoice": {"type": "string", "examples": ["in_42"]},
                                                               "amount": {"type": "integer"}}})
    ensure_event_type("call.ended", description="A call ended; its recording may follow.")
    endpoint = create_endpoint(tenant, url="https://billing.acme.example/webhooks/with/a/rather/long/path/indeed",
                               description="Billing system", event_types=["invoice.paid"])
    create_endpoint("globex", url="https://globex.example/hooks")
    now = timezone.now()
    for n in range(10):
        event = Event.objects.create(tenant=endpoint.tenant, event_type="invoice.paid", body="{}", fanned_out_at=now)
        delivery = Delivery.objects.create(event=event, endpoint=endpoint, tenant=endpoint.tenant,
                                           status="succeeded" if n % 5 else "failed")
        Attempt.objects.create(delivery=delivery, endpoint=endpoint, started_at=now - timedelta(minutes=n),
                               duration_ms=80 + n, succeeded=bool(n % 5), request_url=endpoint.url,
                               response_status=200 if n % 5 else 503)
    return endpoint


def test_tenant_manages_endpoints_in_the_portal(transactional_db, live_server, browser_page, screenshot_dir):
    page = browser_page
    seed("acme")
    _, token = create_portal_link("acme")
    page.goto(live_server.url + reverse("portal:enter", args=[token]))  # its page posts the token (enter.js)
    page.wait_for_url(live_server.url + reverse("portal:endpoints"))
    page.get_by_role("heading", name="Endpoints").wait_for()
    assert "80 %" in page.content() and "globex" not in page.content()
    page.screenshot(path=screenshot_dir / "portal-endpoints.png", full_page=True)
    readme_shot(page, "endpoints")

    page.get_by_role("link", name="Add endpoint").click()
    page.get_by_role("textbox", name="URL", exact=True).fill("https://crm.acme.example/in")
    page.get_by_label("Description").fill("CRM")
    page.get_by_role("group", name="Event types").get_by_label("call.ended").check()
    page.get_by_label("Custom headers").fill("X-Team: crm")
    page.screenshot(path=screenshot_dir / "portal-add-endpoint.png", full_page=True)
    readme_shot(page, "add-endpoint", full_page=True)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="https://crm.acme.example/in").wait_for()

    page.get_by_role("button", name="Reveal secret").click()
    assert page.locator("output.secret").inner_text().startswith("whsec_")
    page.get_by_role("button", name="Rotate secret").click()
    page.get_by_text("The previous secret keeps signing until").wait_for()
    assert page.get_by_role("button", name="Send test event").is_visible()
    page.screenshot(path=screenshot_dir / "portal-endpoint.png", full_page=True)
    readme_shot(page, "endpoint", full_page=True)

    page.goto(live_server.url + reverse("portal:catalogue"))
    page.get_by_role("heading", name="invoice.paid").wait_for()
    page.screenshot(path=screenshot_dir / "portal-catalogue.png", full_page=True)

    # Keyboard first: Tab reaches the skip link, which shows itself.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_fits_375_px(transactional_db, live_server, browser_page, screenshot_dir, scheme):
    page = browser_page
    endpoint = seed("acme")
    _, token = create_portal_link("acme")
    page.set_viewport_size({"width": 375, "height": 800})
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server.url + reverse("portal:enter", args=[token]))
    page.wait_for_url(live_server.url + reverse("portal:endpoints"))
    for name, args in [("portal:endpoints", []), ("portal:endpoint", [endpoint.pk]), ("portal:endpoint-add", []),
                       ("portal:endpoint-edit", [endpoint.pk]), ("portal:endpoint-delete", [endpoint.pk]),
                       ("portal:verifying", []), ("portal:catalogue", [])]:
        page.goto(live_server.url + reverse(name, args=args))
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")  # advanced too
        assert page.evaluate(OVERFLOW) <= 0, name
    page.goto(live_server.url + reverse("portal:endpoints"))
    page.screenshot(path=screenshot_dir / f"portal-endpoints-375-{scheme}.png", full_page=True)
    if scheme == "dark":
        readme_shot(page, "endpoints-375-dark", full_page=True)
