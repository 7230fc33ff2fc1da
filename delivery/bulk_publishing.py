"""``publish_many``: many events in one call, one INSERT for their outbox rows.

Every guarantee of ``publish`` holds for the call as a whole: it runs in the
caller's transaction (nothing is handed over before it commits), each item is
validated the same way and one bad item refuses the whole call, and an
``idempotency_key`` used before (in this call or an earlier one, within the
window) answers the first event.  The lookups are one query each for all
items (event types, tenants, used keys), so the cost per event is that of
rendering and checking its body.  The rows go in as column arrays
(``delivery.bulk_insert``): no model instance is built to write them, and the
returned events are made from the very rows written.
"""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone

from delivery import bulk_insert, publishing, tracing
from delivery.handoff import fan_out_request
from delivery.models import Event
from delivery.type_cache import KnownType
from subscriptions import conf, ids
from subscriptions.models import EventType, Tenant
from subscriptions.validation import validate_tenant_uid

REQUIRED = ("event_type", "data", "tenant")
# Every column of the outbox row, in the model's order (``Event.from_db`` takes them positionally).
COLUMNS = ("id", "tenant", "event_type", "body", "idempotency_key", "occurred_at", "created_at", "fanned_out_at",
           "traceparent")
ALLOWED = (*REQUIRED, "idempotency_key", "occurred_at")


class _Item(NamedTuple):
    """One checked item, before its tenant is known."""

    event_type: str
    body: str
    idempotency_key: str | None
    occurred_at: datetime


@tracing.publish_many_span
def publish_many(events):
    """Record ``events`` (dicts of ``publish``'s arguments) in one go; returns the ``Event`` of each, in order.

    A bad item raises ``ValidationError`` whose ``message_dict`` maps
    ``"<index>.<field>"`` to its messages, for every bad item, and nothing of
    the call is written.  Items without ``occurred_at`` share the call's moment.
    """
    if not isinstance(events, list | tuple):
        raise ValidationError("events must be a list of dicts.", code="invalid")
    types = _live_types({item.get("event_type") for item in events if isinstance(item, dict)})
    prepared, errors, now = [], {}, timezone.now()
    for index, item in enumerate(events):
        try:
            prepared.append(_prepare(item, types, now))
        except ValidationError as exc:
            for field, messages in _by_field(exc).items():
                errors[f"{index}.{field}"] = messages
    if errors:
        raise ValidationError(errors)
    if not prepared:
        return []
    with transaction.atomic():
        tenants = _tenants({tenant for _, tenant in prepared})
        result = _write([(item, tenants[tenant]) for item, tenant in prepared])
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


def _prepare(item, types, now):
    """(``_Item``, tenant uid or Tenant) for one valid item (``occurred_at`` by default ``now``, the call's moment)."""
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
    occurred_at = item.get("occurred_at") or now
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
    return _Item(type_entry.name, body, key, occurred_at), tenant


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
    """Insert the items not answered by a used key, in one statement; returns each item's event."""
    now = timezone.now()
    firsts = _used_keys(pairs, now)
    traceparent = tracing.current_traceparent()  # the call's span: the same for every event
    alias = router.db_for_write(Event)
    result, rows, keyed, new_ids = [], [], False, iter(ids.event_ids(len(pairs)))
    for item, tenant in pairs:
        key = (tenant.pk, item.idempotency_key)
        if item.idempotency_key is not None and key in firsts:
            result.append(firsts[key])
            continue
        row = (next(new_ids), tenant.pk, item.event_type, item.body, item.idempotency_key, item.occurred_at, now,
               None, traceparent)
        event = Event.from_db(alias, COLUMNS, row)  # as if read back: the row is written below
        event._state.fields_cache["tenant"] = tenant
        if item.idempotency_key is not None:
            firsts[key] = event  # a later item of this call with the same key answers this one
            keyed = True
        rows.append(row)
        result.append(event)
    # A key taken meanwhile by another call leaves its row out; the returned ids say which.
    written = bulk_insert.insert_rows(Event, COLUMNS, rows, ignore_conflicts=keyed,
                                      returning=("id",) if keyed else (), using=alias)
    if not keyed:
        return result
    return _winners(result, {row[0] for row in rows} - {pk for (pk,) in written})


def _used_keys(pairs, now):
    """{(tenant id, key): first event} for the keys of ``pairs`` used within the window; older uses let go."""
    keyed = {(tenant.pk, item.idempotency_key) for item, tenant in pairs if item.idempotency_key is not None}
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


def _winners(result, lost):
    """Events whose key another call took between our read and our insert (ids ``lost``) answer that call's event.

    A lost row no stored event answers (the holder deleted meanwhile, or an
    id taken) refuses the call, naming the item, as a bad item would.
    """
    lost = {event.pk: event for event in result if event.pk in lost}
    if not lost:
        return result
    stored = {(e.tenant_id, e.idempotency_key): e for e in Event.objects.filter(
        tenant_id__in={e.tenant_id for e in lost.values()},
        idempotency_key__in={e.idempotency_key for e in lost.values() if e.idempotency_key is not None})}
    swap = {pk: stored.get((event.tenant_id, event.idempotency_key)) for pk, event in lost.items()}
    unanswered = [index for index, event in enumerate(result) if event.pk in swap and swap[event.pk] is None]
    if unanswered:
        raise ValidationError({f"{index}.item": ["Could not record the event; please retry."] for index in unanswered})
    return [swap.get(event.pk, event) for event in result]
