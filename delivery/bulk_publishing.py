"""``publish_many``: many events in one call, one statement for their outbox rows.

Every guarantee of ``publish`` holds for the call as a whole: it runs in the
caller's transaction (nothing is handed over before it commits), each item is
validated the same way and one bad item refuses the whole call, and an
``idempotency_key`` used before (in this call or an earlier one, within the
window) answers the first event.  The lookups are one query each for all
items (event types, tenants, used keys), so the cost per event is that of
rendering and checking its body.  The rows go in through
``delivery.bulk_copy`` (a ``COPY``), or with keys ``delivery.bulk_insert`` (an
``INSERT`` of column arrays): no model instance is built to write them, and the returned events
are copied from a blank one with the very values written.
"""

import operator
from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone

from delivery import bulk_copy, bulk_insert, publishing, tracing
from delivery.handoff import fan_out_request
from delivery.models import Event
from delivery.type_cache import KnownType
from delivery.wire import body_timestamp
from subscriptions import conf, ids
from subscriptions.models import EventType, Tenant
from subscriptions.validation import validate_tenant_uid

REQUIRED = ("event_type", "data", "tenant")
# Every column of the outbox row.
COLUMNS = ("id", "tenant", "event_type", "body", "idempotency_key", "occurred_at", "created_at", "fanned_out_at",
           "traceparent")
ALLOWED = frozenset({*REQUIRED, "idempotency_key", "occurred_at"})
_REQUIRED = frozenset(REQUIRED)


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

    A call without idempotency keys streams its rows to the database as its
    items are checked (``bulk_copy.copy_rows``), so the database writes
    while Python renders; the transaction is rolled back if an item turns
    out bad.  A call with keys looks up the keys used before it writes.
    """
    if not isinstance(events, list | tuple):
        raise ValidationError("events must be a list of dicts.", code="invalid")
    if not events:
        return []
    checker = _Checker(_live_types({item.get("event_type") for item in events if isinstance(item, dict)}))
    with transaction.atomic():
        if any(isinstance(item, dict) and item.get("idempotency_key") is not None for item in events):
            prepared = list(checker.valid(events))
            checker.raise_errors()
            tenants = _tenants({tenant for _, tenant in prepared})
            result = _write([(item, tenants[tenant]) for item, tenant in prepared])
        else:
            result = _stream(checker.valid(events), _tenants(checker.tenants_named(events)), len(events))
            checker.raise_errors()  # found while the rows streamed: the rollback takes them back
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


class _Checker:
    """Checks the items of one call and keeps each bad item's messages under ``"<index>.<field>"``."""

    def __init__(self, types):
        self.types, self.errors, self.good_uids = types, {}, set()
        self.now = timezone.now()  # the moment of every item without its own
        self.now_text = body_timestamp(self.now)

    def valid(self, events):
        """``(_Item, tenant uid or Tenant)`` of each good item, in order, while no bad one has been seen;
        every item is checked either way, so that each bad one is named."""
        for index, item in enumerate(events):
            try:
                checked = self.check(item)
            except ValidationError as exc:
                for field, messages in _by_field(exc).items():
                    self.errors[f"{index}.{field}"] = messages
                continue
            if not self.errors:
                yield checked

    def raise_errors(self):
        if self.errors:
            raise ValidationError(self.errors)

    def tenants_named(self, events):
        """The tenants (uids or Tenants) the items name, of those that could be good."""
        named = {item.get("tenant") for item in events if isinstance(item, dict)
                 and isinstance(item.get("tenant"), str | Tenant)}
        return {tenant for tenant in named if isinstance(tenant, Tenant) or self._uid_is_good(tenant)}

    def _uid_is_good(self, uid):
        try:
            self.check_uid(uid)
        except ValidationError:
            return False
        return True

    def check_uid(self, uid):
        """``validate_tenant_uid``, once per uid in the call."""
        if not (isinstance(uid, str) and uid in self.good_uids):
            validate_tenant_uid(uid)
            self.good_uids.add(uid)

    def check(self, item):
        """(``_Item``, tenant uid or Tenant) for one valid item."""
        if not isinstance(item, dict):
            raise ValidationError({"item": ["Each event must be an object."]})
        if not _REQUIRED <= item.keys() <= ALLOWED:
            raise ValidationError({**{name: ["Unknown field."] for name in sorted(item.keys() - ALLOWED)},
                                   **{name: ["This field is required."] for name in REQUIRED if name not in item}})
        name, tenant = item["event_type"], item["tenant"]
        type_entry = self.types.get(name) if isinstance(name, str) else None
        if type_entry is None:
            raise ValidationError(f"Unknown event type {name!r}.", code="unknown_event_type")
        if type_entry.archived:
            raise ValidationError(f"The event type {name!r} is archived.", code="archived_event_type")
        occurred_at = item.get("occurred_at") or self.now
        if not isinstance(occurred_at, datetime):
            raise ValidationError({"occurred_at": ["occurred_at must be a datetime."]})
        key = item.get("idempotency_key")
        publishing.check_key(key)
        timestamp = self.now_text if occurred_at is self.now else occurred_at
        body = publishing.checked_body(type_entry, item["data"], timestamp)
        if not isinstance(tenant, Tenant):
            try:
                self.check_uid(tenant)
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


class _Outbox:
    """The outbox rows of one call, and the events they are (as if read back: each row is written)."""

    def __init__(self, count):
        self.now = timezone.now()
        self.traceparent = tracing.current_traceparent()  # the call's span: the same for every event
        self.alias = router.db_for_write(Event)
        self.new_ids = iter(ids.event_ids(count))
        self.blank = bulk_insert.Blank.of(Event)

    def event(self, item, tenant):
        return self.blank.stored(
            self.alias, {"tenant": tenant}, id=next(self.new_ids), tenant_id=tenant.pk, event_type=item.event_type,
            body=item.body, idempotency_key=item.idempotency_key, occurred_at=item.occurred_at,
            created_at=self.now, fanned_out_at=None, traceparent=self.traceparent)


_row = operator.attrgetter(*(Event._meta.get_field(name).attname for name in COLUMNS))


def _stream(checked, tenants, count):
    """Write the rows of ``checked`` (at most ``count`` items) as they come, in one COPY; returns their events."""
    outbox, events = _Outbox(count), []

    def rows():
        for item, tenant in checked:
            event = outbox.event(item, tenants[tenant])
            events.append(event)
            yield _row(event)

    bulk_copy.copy_rows(Event, COLUMNS, rows(), using=outbox.alias)
    return events


def _write(pairs):
    """Insert the items not answered by a used key, in one statement; returns each item's event."""
    outbox = _Outbox(len(pairs))
    firsts = _used_keys(pairs, outbox.now)
    result, rows, keyed = [], [], False
    for item, tenant in pairs:
        key = (tenant.pk, item.idempotency_key)
        if item.idempotency_key is not None and key in firsts:
            result.append(firsts[key])
            continue
        event = outbox.event(item, tenant)
        if item.idempotency_key is not None:
            firsts[key] = event  # a later item of this call with the same key answers this one
            keyed = True
        rows.append(_row(event))
        result.append(event)
    # A key taken meanwhile by another call leaves its row out; the returned ids say which.
    written = bulk_insert.insert_rows(Event, COLUMNS, rows, ignore_conflicts=keyed,
                                      returning=("id",) if keyed else (), using=outbox.alias)
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
