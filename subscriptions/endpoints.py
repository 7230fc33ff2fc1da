"""Creating, changing, disabling and enabling endpoints."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from delivery import conf
from subscriptions.models import Endpoint, EndpointSecret, EventType, Tenant
from subscriptions.redaction import restore_headers, restore_password
from subscriptions.secrets import generate_secret
from subscriptions.ssrf import check_url
from subscriptions.tenants import resolve_tenant
from subscriptions.validation import (
    MAX_DESCRIPTION,
    validate_event_type_filter,
    validate_headers,
    validate_metadata,
    validate_rate_limit,
)

EDITABLE = ("url", "description", "event_types", "headers", "rate_limit", "metadata")


def _validate_known_types(filters):
    names = {f for f in filters if not f.endswith(".*")}
    known = set(EventType.objects.filter(name__in=names).values_list("name", flat=True))
    unknown = sorted(names - known)
    if unknown:
        raise ValidationError(f"Unknown event types: {', '.join(unknown)}.", code="unknown_event_type")


def _validate_url(url):
    if not isinstance(url, str) or len(url) > 2048:
        raise ValidationError("url must be a string of at most 2048 characters.", code="invalid")
    check_url(url)


def _validate_description(description):
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise ValidationError(f"description is a string of at most {MAX_DESCRIPTION} characters.",
                              code="invalid")


def _validate_event_types(filters):
    validate_event_type_filter(filters)
    _validate_known_types(filters)


def validate_endpoint_fields(fields):
    """Validate whichever editable fields are given; errors are keyed by field."""
    errors = {}
    checks = {
        "url": _validate_url,
        "description": _validate_description,
        "event_types": _validate_event_types,
        "headers": validate_headers,
        "rate_limit": validate_rate_limit,
        "metadata": validate_metadata,
    }
    for name, value in fields.items():
        try:
            checks[name](value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


def check_endpoint_cap(tenant, *, lock=False):
    """Refuse a tenant's endpoint beyond ``WEBHOOKS_MAX_ENDPOINTS_PER_TENANT`` (each one multiplies every publish).

    With ``lock`` (inside the creating transaction) the tenant row is locked
    first, so two concurrent creates cannot both take the last free place.
    """
    cap = conf.get().max_endpoints_per_tenant
    if cap is None:
        return
    if lock:
        list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True))
    if Endpoint.objects.filter(tenant=tenant).count() >= cap:
        raise ValidationError(f"This tenant already has {cap} endpoints, the most allowed; delete one first.",
                              code="too_many_endpoints")


@transaction.atomic
def create_endpoint(tenant, *, url, event_types=None, description="", headers=None,
                    rate_limit=None, metadata=None, secret=None):
    """A new endpoint with a fresh secret (or the given ``whsec_`` one)."""
    fields = {"url": url, "event_types": list(event_types or []), "description": description,
              "headers": headers or {}, "rate_limit": rate_limit, "metadata": metadata or {}}
    validate_endpoint_fields(fields)
    tenant = resolve_tenant(tenant)
    check_endpoint_cap(tenant, lock=True)
    endpoint = Endpoint.objects.create(tenant=tenant, **fields)
    EndpointSecret.objects.create(endpoint=endpoint, key=secret or generate_secret())
    return endpoint


def update_endpoint(endpoint, **changes):
    """Change editable fields; a URL password or header value sent back as ``<redacted>`` is kept."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    if isinstance(changes.get("url"), str):
        changes["url"] = restore_password(changes["url"], endpoint.url)
    if isinstance(changes.get("headers"), dict):
        changes["headers"] = restore_headers(changes["headers"], endpoint.headers)
    validate_endpoint_fields(changes)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


def disable_endpoint(endpoint, *, reason):
    """Stop sending to an endpoint.  Its pending deliveries are kept for when it comes back."""
    from delivery.signals import endpoint_disabled

    updated = Endpoint.objects.filter(pk=endpoint.pk, disabled=False).update(
        disabled=True, disabled_reason=reason[:512], disabled_at=timezone.now(),
        updated_at=timezone.now(),
    )
    endpoint.refresh_from_db()
    _park_waiting(endpoint, next_attempt_at=None)
    if updated:
        endpoint_disabled.send(sender=Endpoint, endpoint=endpoint, reason=reason)
    return endpoint


def _park_waiting(endpoint, *, next_attempt_at):
    """Waiting deliveries of a disabled endpoint are kept, with no time set, until it is enabled."""
    from delivery.models import Delivery

    Delivery.objects.filter(
        endpoint=endpoint, status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]
    ).update(next_attempt_at=next_attempt_at)


def enable_endpoint(endpoint):
    """Resume sending, kept deliveries first; the failure streak starts afresh."""
    _park_waiting(endpoint, next_attempt_at=timezone.now())
    Endpoint.objects.filter(pk=endpoint.pk).update(
        disabled=False, disabled_reason="", disabled_at=None, failing_since=None,
        updated_at=timezone.now(),
    )
    endpoint.refresh_from_db()
    return endpoint


def delete_endpoint(endpoint):
    endpoint.delete()
