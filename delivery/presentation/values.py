"""How values read on the console's and the portal's pages: a status's tone, durations, JSON."""

import json

from django.utils.html import format_html

STATUS_TONES = {"succeeded": "ok", "failed": "bad", "retrying": "warn", "sending": "info", "pending": "info",
                "cancelled": "muted"}


def milliseconds(value):
    return f"{value:,.0f} ms" if value is not None else "—"


def pretty_json(value):
    """JSON (a parsed value or a JSON string) indented in a <pre>; anything else shown as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return format_html('<pre class="hp-pre">{}</pre>', value) if value else "—"
    return format_html('<pre class="hp-pre">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False))
