"""How the console shows values: badges, times, links and rates (JSON and durations: ``delivery.presentation``).

The health thresholds (what counts as a good success rate) live here once,
for the endpoint list and the dashboard alike.
"""

from datetime import UTC
from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from delivery.presentation.values import STATUS_TONES

GOOD_RATE, FAIR_RATE = 0.99, 0.9  # success rates at or above these are shown green, then amber


def badge(text, tone):
    """A coloured pill: tone is one of ok, bad, warn, muted, info."""
    return format_html('<span class="hp-badge hp-{}">{}</span>', tone, text)


def status_badge(status):
    return badge(status, STATUS_TONES.get(status, "muted"))


def attempt_outcome(attempt):
    if attempt is None:
        return "—"
    if attempt.succeeded:
        return badge(f"{attempt.response_status} OK", "ok")
    return badge(attempt.response_status or attempt.error_class or "error", "bad")


def rate_tone(rate):
    """The tone of a success rate: muted without traffic, then ok, warn or bad by the thresholds."""
    if rate is None:
        return "muted"
    return "ok" if rate >= GOOD_RATE else "warn" if rate >= FAIR_RATE else "bad"


def percent(rate):
    return "—" if rate is None else f"{rate:.1%}"


def exact_time(field_name, description=None):
    """A column or read-only field showing a timestamp to the second in UTC (Django's default drops seconds).

    ``field_name`` may follow a one-to-one (``send_state__failing_since``); no related row shows "—".
    """

    @admin.display(description=description or field_name.replace("_", " "), ordering=field_name)
    def show(model_admin, obj):
        value = obj
        for name in field_name.split("__"):
            value = getattr(value, name, None)
        return f"{timezone.localtime(value, UTC):%Y-%m-%d %H:%M:%S}" if value else "—"

    return show


def admin_link(obj, text=None):
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else obj.pk)


def changelist_url(model, **params):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url

