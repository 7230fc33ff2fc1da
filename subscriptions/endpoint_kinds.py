"""An endpoint's kind: ``http`` (deliveries are POSTed to its URL) or ``polling`` (no URL; its consumer pulls them).

A receiver without a public URL (behind a firewall or a NAT) takes a
polling endpoint: the fan-out keeps its deliveries and the consumer reads
them with ``GET .../endpoints/{id}/poll/``.  The kind is fixed at creation:
turning a polling endpoint into an http one would POST everything it kept.
"""

from django.core.exceptions import ValidationError

from subscriptions.models import Endpoint

Kind = Endpoint.Kind
# What only an endpoint that sends requests has: refused on a polling one (``others`` of ``check_kind``).
PUSH_ONLY = ("fallback_url", "tls_client_cert", "tls_client_key", "tls_ca_bundle", "oauth2", "ordered")


def check_kind(kind, *, url, headers, others=None):
    """Refuse a kind we do not know, a polling endpoint with a URL or custom headers, an http one without a URL.

    Errors are keyed by field.  Custom headers exist to authenticate to a
    receiver's URL; a polling endpoint has none, and their values are
    write-only, so the poll answer could not carry them.
    """
    if kind not in Kind.values:
        raise ValidationError({"kind": [f"kind is one of {', '.join(map(repr, Kind.values))}."]})
    if kind == Kind.POLLING:
        errors = {}
        if url:
            errors["url"] = ["A polling endpoint has no URL: its consumer pulls its events (leave url out)."]
        if headers:
            errors["headers"] = ["A polling endpoint sends no request, so it has no custom headers."]
        for name in PUSH_ONLY:
            if (others or {}).get(name):
                errors[name] = [f"A polling endpoint sends no request, so it has no {name}."]
        if errors:
            raise ValidationError(errors)
    elif not url:
        raise ValidationError({"url": ["An http endpoint needs a url (or create it with kind \"polling\")."]})


def check_changes(endpoint, changes):
    """A polling endpoint keeps no URL and no custom headers after an update either."""
    if endpoint.kind == Kind.POLLING:
        check_kind(Kind.POLLING, url=changes.get("url"), headers=changes.get("headers"), others=changes)
