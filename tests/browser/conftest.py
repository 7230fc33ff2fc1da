"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser)."""

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


@pytest.fixture
def live_server_publishes():
    """The live server's request threads hand work to the standalone Celery app, as the web process does.

    ``current_app`` is thread-local; only a *default* app reaches other threads.  pytest-django sets
    Django up before tests/conftest.py imports the app, so Celery's Django fix-up found a fallback
    default already; the standalone entry points (wsgi.py, manage.py) import it first instead.
    """
    from hookplatform.celery import app

    app.set_default()
    return app


@pytest.fixture
def browser_page(monkeypatch, live_server_publishes):
    """A Chromium page, 1440 px wide; skipped cleanly where Chromium or Playwright is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        # Inside Playwright's event loop Django keeps separate, context-local connections: close them,
        # or the test database cannot be dropped at the end of the session.
        connections.close_all()
        context.close()
        browser.close()


@pytest.fixture
def screenshot_dir():
    path = Path(os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "var" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
