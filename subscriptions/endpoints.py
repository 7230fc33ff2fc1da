"""Creating, changing, disabling and enabling endpoints."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from subscriptions import body_templates, conf, endpoint_kinds, endpoint_policy, filters, receiver_auth, signals
from subscriptions.models import Endpoint, EventType, PayloadFormat, Tenant
from subscriptions.redaction import REDACTED, has_redacted_parts, has_user_info, origin, redact_url, restore_url
from subscriptions.secrets import new_secret_row
from subscriptions.ssrf import check_url
from subscriptions.tenants import resolve_tenant
from subscriptions.validation import (
    MAX_DESCRIPTION,
    storable_text,
    validate_each,
    validate_event_type_filter,
    validate_headers,
    validate_metadata,
    validate_ordered,
    validate_rate_limit,
    validate_text,
)

MAX_URL = 2048
EDITABLE = ("url", "description", "event_types", "headers", "rate_limit", "metadata",
            # Authentication to receivers (receiver_auth)
            "tls_client_cert", "tls_client_key", "tls_ca_bundle", "oauth2",
            "ordered")
EDITABLE += endpoint_policy.POLICY_FIELDS
# What an endpoint gets and in what shape (issue 15).
EDITABLE += ("filter", "payload_format", "body_template", "content_type")


def _validate_known_types(filters):
    names = {f for f in filters if not f.endswith(".*")}
    known = set(EventType.objects.filter(name__in=names).values_list("name", flat=True))
    unknown = sorted(names - known)
    if unknown:
        raise ValidationError(f"Unknown event types: {', '.join(unknown)}.", code="unknown_event_type")


def _validate_url(url):
    validate_text(url, "url", MAX_URL)
    if has_redacted_parts(url):
        raise ValidationError(f"The URL carries {REDACTED}: give its credentials in full.",
                              code="credentials_required")
    check_url(url)
    if len(redact_url(url)) > MAX_URL:  # the stored, shown form: short credentials grow into <redacted>
        raise ValidationError(f"url with its credentials shown as {REDACTED} must be at most {MAX_URL} "
                              "characters.", code="invalid")


def _validate_description(description):
    validate_text(description, "description", MAX_DESCRIPTION)


def _validate_headers(headers):
    validate_headers(headers)
    redacted = [name for name, value in headers.items() if value == REDACTED]
    if redacted:  # on create, or where no stored value is kept: it would be sent as the literal text
        raise ValidationError(f"Give the value of {', '.join(map(repr, redacted))} in full, not {REDACTED}.",
                              code="credentials_required")


def _validate_event_types(filters):
    validate_event_type_filter(filters)
    _validate_known_types(filters)


def _validate_payload_format(payload_format):
    if payload_format not in PayloadFormat.values:
        raise ValidationError(f"payload_format is one of {', '.join(PayloadFormat.values)}.", code="invalid")


def _validate_body_template(source):
    if source and not conf.get().body_templates:
        raise ValidationError("Body templates are off on this platform (setting WEBHOOKS_BODY_TEMPLATES).",
                              code="templates_off")
    body_templates.validate_template(source)


def validate_endpoint_fields(fields):
    """Validate whichever editable fields are given; errors are keyed by field."""
    validate_each(fields, {
        "url": _validate_url,
        "description": _validate_description,
        "event_types": _validate_event_types,
        "headers": _validate_headers,
        "rate_limit": validate_rate_limit,
        "metadata": validate_metadata,
        **endpoint_policy.CHECKS,
        "tls_client_cert": receiver_auth.validate_certificate,
        "tls_client_key": receiver_auth.validate_key,
        "tls_ca_bundle": receiver_auth.validate_ca_bundle,
        "oauth2": receiver_auth.validate_oauth2,
        "filter": filters.validate,
        "payload_format": _validate_payload_format,
        "body_template": _validate_body_template,
        "content_type": body_templates.validate_content_type,
        "ordered": validate_ordered,
    })
    conflicts = _credential_conflicts(fields)
    if any(name in fields for name in receiver_auth.TLS_FIELDS):
        conflicts |= receiver_auth.tls_conflicts(fields)
    if conflicts:
        raise ValidationError(conflicts)


def _credential_conflicts(fields):
    """A custom Authorization with URL credentials: refused rather than silently replaced by Basic auth."""
    url, headers = fields.get("url"), fields.get("headers") or {}
    if isinstance(url, str) and has_user_info(url) and any(name.lower() == "authorization" for name in headers):
        return {"headers": ["An Authorization header cannot be combined with credentials in the URL "
                            "(they are sent as Basic auth): keep one of them."]}
    return {}


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


def validate_new_endpoint(fields, kind=Endpoint.Kind.HTTP):
    """A new endpoint's fields, for its kind: a polling endpoint has no URL (nor custom headers) to check."""
    endpoint_kinds.check_kind(kind, url=fields.get("url"), headers=fields.get("headers"), others=fields)
    validate_endpoint_fields({name: value for name, value in fields.items()
                              if not (name == "url" and kind == Endpoint.Kind.POLLING)})


@transaction.atomic
def create_endpoint(tenant, *, url="", event_types=None, description="", headers=None,
                    rate_limit=None, metadata=None, secret=None, kind=Endpoint.Kind.HTTP, ordered=False,
                    signature_scheme="standard", retry_schedule=None, retry_on_4xx=True, timeout=None, fallback_url="",
                    tls_client_cert="", tls_client_key="", tls_ca_bundle="", oauth2=None,
                    filter=None, payload_format=PayloadFormat.STANDARD,  # the contract's field names
                    body_template="", content_type=""):
    """A new endpoint with a fresh secret (or the given ``whsec_`` one).

    ``kind="polling"``: no ``url``; its events are kept for its consumer to pull.
    ``ordered``: its deliveries go out one at a time, in publish order (README, "Ordered delivery").
    """
    # list("abc") or list(1.5) would turn a wrong type into a wrong value or a TypeError: validate it as given.
    event_types = list(event_types) if isinstance(event_types, list | tuple) else event_types or []
    fields = {"url": url, "event_types": event_types, "description": description,
              "headers": headers or {}, "rate_limit": rate_limit, "metadata": metadata or {},
              "tls_client_cert": tls_client_cert, "tls_client_key": tls_client_key,
              "tls_ca_bundle": tls_ca_bundle, "oauth2": oauth2,
              "filter": filter, "payload_format": payload_format, "body_template": body_template,
              "content_type": content_type, "ordered": ordered}
    fields |= {"signature_scheme": signature_scheme, "retry_schedule": retry_schedule, "retry_on_4xx": retry_on_4xx,
               "timeout": timeout, "fallback_url": fallback_url}
    validate_new_endpoint(fields, kind)
    tenant = resolve_tenant(tenant)
    check_endpoint_cap(tenant, lock=True)
    endpoint = Endpoint(tenant=tenant, kind=kind)
    _assign(endpoint, fields)
    try:
        secret_row = new_secret_row(endpoint, secret)
    except ValidationError as exc:
        raise ValidationError({"secret": exc.messages}) from None
    endpoint.save()
    secret_row.save()
    return endpoint


def _assign(endpoint, fields):
    """Set validated plain-text fields; the URL's credentials and the header values are encrypted."""
    for name, value in fields.items():
        if name == "url":
            endpoint.set_url(value)
        elif name == "headers":
            endpoint.set_headers(value)
        elif name in receiver_auth.TLS_FIELDS or name == "oauth2":
            receiver_auth.assign(endpoint, name, value)
        else:
            setattr(endpoint, name, value)


def _restore_headers(headers, endpoint, same_origin):
    """Header values sent back as ``<redacted>`` keep their stored value, for the same origin only."""
    restored, errors = {}, []
    for name, value in headers.items():
        if value != REDACTED:
            restored[name] = value
        elif not same_origin:
            errors.append(f"The URL (or fallback_url) points to a new origin: give the value of {name!r} in full.")
        elif name not in (endpoint.headers or {}):
            errors.append(f"{name!r} has no stored value to keep: give it in full.")
        else:
            restored[name] = endpoint.headers_to_send()[name]
    if errors:
        raise ValidationError({"headers": errors})
    return restored


def prepare_changes(endpoint, changes):
    """``changes`` with stored credentials put back where they read ``<redacted>``, validated.

    Credentials are reused for the same scheme, host and port only: a new
    origin needs the URL's credentials and every custom header again in full.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    endpoint_kinds.check_changes(endpoint, changes)
    changes = dict(changes)
    url = changes.get("url")
    new_origin = isinstance(url, str) and origin(url) != origin(endpoint.url) or _new_fallback_origin(endpoint, changes)
    if isinstance(url, str) and has_redacted_parts(url):
        try:
            changes["url"] = restore_url(url, None if new_origin else endpoint.url_to_send())
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from None
    if isinstance(changes.get("headers"), dict):
        changes["headers"] = _restore_headers(changes["headers"], endpoint, same_origin=not new_origin)
    elif new_origin and endpoint.headers:
        raise ValidationError({"headers": ["The URL (or fallback_url) points to a new origin: give the custom "
                                           "headers again in full (or {} to drop them)."]})
    changes = receiver_auth.complete_changes(endpoint, changes, same_origin=not new_origin)
    validate_endpoint_fields(changes)
    conflicts = _credential_conflicts({"url": changes.get("url", endpoint.url),
                                       "headers": changes.get("headers", endpoint.headers)})
    if conflicts:
        raise ValidationError(conflicts)
    return changes


def _new_fallback_origin(endpoint, changes):
    """A fallback URL to an origin the custom headers were not yet sent to: they must be given again in full,
    as for a new ``url`` (else anyone allowed to edit the endpoint could have them sent to a server of theirs)."""
    fallback = changes.get("fallback_url")
    trusted = {origin(endpoint.url)} | ({origin(endpoint.fallback_url)} if endpoint.fallback_url else set())
    return isinstance(fallback, str) and fallback != "" and origin(fallback) not in trusted


@transaction.atomic
def update_endpoint(endpoint, **changes):
    """Change editable fields; a credential sent back as ``<redacted>`` is kept (same origin only).

    Turning ``ordered`` off lets ``delivery`` make the deliveries waiting in
    the endpoint's line due now, in this transaction (``endpoint_unordered``).
    """
    was_ordered = endpoint.ordered
    _assign(endpoint, prepare_changes(endpoint, changes))
    endpoint.save()
    if was_ordered and not endpoint.ordered:
        signals.endpoint_unordered.send(sender=Endpoint, endpoint=endpoint)
    return endpoint


@transaction.atomic
def disable_endpoint(endpoint, *, reason):
    """Stop sending to an endpoint.  Its waiting deliveries are kept (parked) for when it comes back.

    ``endpoint_disabling`` lets ``delivery`` park them in this transaction
    (also when the endpoint was disabled already: a row recorded since is
    parked too).  ``endpoint_disabled`` fires once the disable is committed,
    robustly: a host receiver can neither roll it back nor fail the caller.
    """
    updated = Endpoint.objects.filter(pk=endpoint.pk, disabled=False).update(
        disabled=True, disabled_reason=storable_text(reason, 512), disabled_at=timezone.now(),
        updated_at=timezone.now(),
    )
    endpoint.refresh_from_db()
    signals.endpoint_disabling.send(sender=Endpoint, endpoint=endpoint)
    if updated:
        transaction.on_commit(lambda: signals.fire(signals.endpoint_disabled, sender=Endpoint, endpoint=endpoint,
                                                   reason=reason))
    return endpoint


@transaction.atomic
def enable_endpoint(endpoint):
    """Resume sending, kept deliveries first; the failure streak starts afresh.

    ``endpoint_enabling`` lets ``delivery`` make the kept deliveries due now
    and restart the failure streak it keeps, in this transaction; ``endpoint_enabled`` fires once a disabled endpoint's
    enable is committed, robustly.
    """
    signals.endpoint_enabling.send(sender=Endpoint, endpoint=endpoint)
    now = timezone.now()
    enabled = Endpoint.objects.filter(pk=endpoint.pk, disabled=True).update(
        disabled=False, disabled_reason="", disabled_at=None, updated_at=now,
    )
    if not enabled:
        Endpoint.objects.filter(pk=endpoint.pk).update(updated_at=now)
    endpoint.refresh_from_db()
    if enabled:
        transaction.on_commit(lambda: signals.fire(signals.endpoint_enabled, sender=Endpoint, endpoint=endpoint))
    return endpoint


def delete_endpoint(endpoint):
    endpoint.delete()


def filter_matches(endpoint, *, event_type, data, content_filter=None):
    """Whether an event of ``event_type`` with ``data`` passes the endpoint's content filter, or
    ``content_filter`` tried instead (validated first).  Event types are not considered: the filter alone."""
    document = endpoint.filter if content_filter is None else content_filter
    try:
        filters.validate(document)
    except ValidationError as exc:
        raise ValidationError({"filter": exc.messages}) from None
    return filters.matches(document, event_type, data)


def preview_body(endpoint, *, event_type=None, data=None, body_template=None, content_type=None):
    """``(body, content_type)`` the endpoint's template (or the one given) makes of a sample event;
    ``ValidationError`` on ``body_template`` when it fails, saying why."""
    source = endpoint.body_template if body_template is None else body_template
    content_type = (endpoint.content_type if content_type is None else content_type) or body_templates.JSON_TYPE
    try:
        _validate_body_template(source)
        body_templates.validate_content_type(content_type)
    except ValidationError as exc:
        raise ValidationError({"body_template": exc.messages}) from None
    if not source:
        raise ValidationError({"body_template": ["This endpoint has no body template; give one to try."]})
    default_type = next((name for name in endpoint.event_types if not name.endswith(".*")), "example.event")
    context = body_templates.sample_context(event_type or default_type, data)
    [(text, error)] = body_templates.render_many([(source, context, content_type)])
    if error:
        raise ValidationError({"body_template": [error[1]]})
    return text, content_type
