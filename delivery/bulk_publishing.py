"""``publish_many``: many events in one call, one INSERT for their outbox rows.

Every guarantee of ``publish`` holds for the call as a whole: it runs in the
caller's transaction (nothing is handed over before it commits), each item is
validated the same way and one bad item refuses the whole call, and an
``idempotency_key`` used before (in this call or an earlier one, within the
window) answers the first event.  The lookups are one query each for all
items (event types, tenants, used keys), so the cost per event is that of
rendering and checking its body.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from delivery import publishing, tracing
from delivery.handoff import fan_out_request
from delivery.models import Event
from delivery.type_cache import KnownType
from subscriptions import conf
from subscriptions.models import EventType, Tenant
from subscriptions.validation import validate_tenant_uid

REQUIRED = ("event_type", "data", "tenant")
ALLOWED = (*REQUIRED, "idempotency_key", "occurred_at")


@tracing.publish_many_span
def publish_many(events):
    """Record ``events`` (dicts of ``publish``'s arguments) in one go; returns the ``Event`` of each, in order.

    A bad item raises ``ValidationError`` whose ``message_dict`` maps
    ``"<index>.<field>"`` to its messages, for every bad item, and nothing of
    the call is written.
    """
    if not isinstance(events, list | tuple):
        raise ValidationError("events must be a list of dicts.", code="invalid")
    types = _live_types({item.get("event_type") for item in events if isinstance(item, dict)})
    prepared, errors = [], {}
    for index, item in enumerate(events):
        try:
            prepared.append(_prepare(item, types))
        except ValidationError as exc:
            for field, messages in _by_field(exc).items():
                errors[f"{index}.{field}"] = messages
    if errors:
        raise ValidationError(errors)
    if not prepared:
        return []
    with transaction.atomic():
        tenants = _tenants({tenant for _, tenant, _ in prepared})
        result = _write([(event, tenants[tenant]) for event, tenant, _ in prepared])
    transaction.on_commit(lambda: fan_out_request.ask(result[0].id))
    return result


def _by_field(exc):
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    fields = {}
    for error in exc.error_list:
        fields.setdefault(publishing.FIELD_OF.get(error.code, "data"), []).extend(error.messages)
    return fields


def _live_types(names):
    """{name: EventType} of ``names``, each with its schema's validator built once for the call."""
    names = {name for name in names if isinstance(name, str)}
    types = {t.name: t for t in EventType.objects.filter(name__in=names)}
    for event_type in types.values():
        if event_type.schema:
            event_type.validator = KnownType(event_type.name, event_type.schema, event_type.updated_at).validator
    return types


def _prepare(item, types):
    """(unsaved Event, tenant uid or Tenant, item) for one valid item; ``ValidationError`` otherwise."""
    if not isinstance(item, dict):
        raise ValidationError({"item": ["Each event must be an object."]})
    unknown = sorted(set(item) - set(ALLOWED))
    missing = [name for name in REQUIRED if name not in item]
    if unknown or missing:
        raise ValidationError({**{name: ["Unknown field."] for name in unknown},
                               **{name: ["This field is required."] for name in missing}})
    name, tenant = item["event_type"], item["tenant"]
    type_entry = types.get(name) if isinstance(name, str) else None
    if type_entry is None:
        raise ValidationError(f"Unknown event type {name!r}.", code="unknown_event_type")
    if type_entry.archived:
        raise ValidationError(f"The event type {name!r} is archived.", code="archived_event_type")
    occurred_at = item.get("occurred_at") or timezone.now()
    if not isinstance(occurred_at, datetime):
        raise ValidationError({"occurred_at": ["occurred_at must be a datetime."]})
    key = item.get("idempotency_key")
    publishing.check_key(key)
    body = publishing.checked_body(type_entry, item["data"], occurred_at)
    if not isinstance(tenant, Tenant):
        try:
            validate_tenant_uid(tenant)
        except ValidationError as exc:
            raise ValidationError({"tenant": exc.messages})
    event = Event(event_type=type_entry.name, body=body, idempotency_key=key, occurred_at=occurred_at)
    return event, tenant, item


def _tenants(wanted):
    """{uid or Tenant: Tenant}, unknown uids created (as ``publish`` does)."""
    found = {t: t for t in wanted if isinstance(t, Tenant)}
    uids = {t for t in wanted if not isinstance(t, Tenant)}
    if uids:
        by_uid = {t.uid: t for t in Tenant.objects.filter(uid__in=uids)}
        missing = uids - set(by_uid)
        if missing:
            Tenant.objects.bulk_create([Tenant(uid=uid) for uid in sorted(missing)], ignore_conflicts=True)
            by_uid = {t.uid: t for t in Tenant.objects.filter(uid__in=uids)}
        found.update(by_uid)
    return found


def _write(pairs):
    """Insert the events not answered by a used key, in one statement; returns each item's event."""
    now = timezone.now()
    firsts = _used_keys(pairs, now)
    result, new = [], []
    for event, tenant in pairs:
        event.tenant, event.created_at = tenant, now
        key = (tenant.pk, event.idempotency_key)
        if event.idempotency_key is not None and key in firsts:
            result.append(firsts[key])
            continue
        if event.idempotency_key is not None:
            firsts[key] = event  # a later item of this call with the same key answers this one
        new.append(event)
        result.append(event)
    Event.objects.bulk_create(new, ignore_conflicts=True)  # a key taken meanwhile by another call
    return _winners(result, new)


def _used_keys(pairs, now):
    """{(tenant id, key): first event} for the keys of ``pairs`` used within the window; older uses let go."""
    keyed = {(tenant.pk, event.idempotency_key) for event, tenant in pairs if event.idempotency_key is not None}
    if not keyed:
        return {}
    window_start = now - timedelta(seconds=conf.get().idempotency_window)
    used = Event.objects.filter(tenant_id__in={t for t, _ in keyed}, idempotency_key__in={k for _, k in keyed})
    firsts, expired = {}, []
    for event in used:
        key = (event.tenant_id, event.idempotency_key)
        if key not in keyed:
            continue
        if event.created_at >= window_start:
            firsts[key] = event
        else:
            expired.append(event.pk)
    if expired:
        Event.objects.filter(pk__in=expired).update(idempotency_key=None)
    return firsts


def _winners(result, new):
    """Events whose key another call took between our read and our insert answer that call's event."""
    keyed = [event for event in new if event.idempotency_key is not None]
    if not keyed:
        return result
    stored = {(e.tenant_id, e.idempotency_key): e for e in Event.objects.filter(
        tenant_id__in={e.tenant_id for e in keyed}, idempotency_key__in={e.idempotency_key for e in keyed})}
    swap = {}
    for event in keyed:
        winner = stored.get((event.tenant_id, event.idempotency_key))
        if winner is not None and winner.pk != event.pk:
            swap[event.pk] = winner
    return [swap.get(event.pk, event) for event in result]
