"""Fan-out: one event becomes one delivery per matching endpoint; the first batch goes on to ``sending``."""

import functools
import json

from django.db import connections, router, transaction
from django.utils import timezone

from delivery import endpoint_loading, lines, sql_names, states, tracing, wire
from delivery.bulk_insert import Blank
from delivery.handoff import enqueue_batch, fan_out_request
from delivery.models import Delivery, Event
from delivery.returning import update_where
from delivery.sending import send_claimed
from subscriptions import conf, filters
from subscriptions.matching import matches
from subscriptions.models import Endpoint

# Plain text and integer columns: no conversion from the database needed.
EVENT_FIELDS = ("id", "tenant_id", "event_type", "body", "traceparent")


class DeliveriesPerEvent:
    """How many deliveries an event made in the last fan-out, so the next one claims about as many
    events as its batch holds and puts few back in the outbox.

    A worker keeps one across its fan-outs (``tasks``); without one a
    fan-out starts from the guess of one delivery per event.
    """

    def __init__(self):
        self.value = 1.0

    def events_beside_the_first(self, deliveries):
        """How many more events than the first the next fan-out should claim for ``deliveries``."""
        return max(int(deliveries / self.value) - 1, 0)

    def learn(self, rows):
        if rows:
            self.value = max(len(rows) / len({row.event_id for row in rows}), 1.0)


def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def fan_out_and_send(event_id=None, per_event=None):
    """Fan out an event and others that wait, send the first batch here and now, queue the rest."""
    size = conf.get().batch_size
    rows, token, more_waiting = fan_out_for_sending(event_id, send_now=size, per_event=per_event)
    if more_waiting:  # another worker may start on them while this one sends
        fan_out_request.ask()
    for batch in chunks([row.pk for row in rows[size:]], size):
        enqueue_batch(batch, token)
    if rows:
        send_claimed(rows[:size], token)
    return len(rows)


def fan_out_for_sending(event_id, send_now, per_event=None):
    """Fan out ``event_id`` and other waiting events; returns ``(rows, token, more_waiting)``.

    The rows are the new deliveries, already claimed for sending under
    ``token``.  Exactly one caller fans out each event: the conditional
    update on the event decides.

    Other events that wait for their fan-out come along, oldest first, as
    long as their deliveries fit in the ``send_now`` batch: under load, one
    task and one transaction serve many events.  It claims as many as
    ``per_event`` (the caller's ``DeliveriesPerEvent``, learnt from its last
    fan-out) says will fit, so few are put back.  ``more_waiting`` says the
    limit was reached, so another fan-out should follow.

    Deliveries to ordered endpoints are not among the rows: they join their
    endpoint's line (``delivery/lines.py``), and the heads that may go now are
    handed to a worker once they are saved.

    The first ``send_now`` rows are sent at once.  They were created just now
    under this token, so loading them again (``states.start``) would only
    repeat what this transaction already knows: their event, endpoint and
    the endpoint's secrets are loaded, and their lease already covers the
    sending.
    """
    per_event = per_event or DeliveriesPerEvent()
    more_events = per_event.events_beside_the_first(send_now)
    rows, lined, token, more_waiting = _create_deliveries(event_id, send_now, more_events, enough=send_now)
    per_event.learn(rows + lined)
    lines.advance(lines.moved_by(lined))
    endpoint_loading.attach_secrets({id(row.endpoint): row.endpoint for row in rows[:send_now]}.values())
    return rows, token, more_waiting


def _claim_events(event_id, now, more_events):
    """Mark ``event_id`` and up to ``more_events`` other waiting events fanned out; returns those won.

    The task's own event comes first.  If another fan-out took it already,
    that one is busy with the waiting events too, so this call stops at one
    statement.  Without an ``event_id``, the oldest waiting events are taken.
    The others are locked with SKIP LOCKED: concurrent fan-outs never wait
    for each other over them.
    """
    claimed = []
    if event_id is not None:
        # Claim and read in one statement; the other fields load if someone asks.
        claimed = update_where(Event, {"id": event_id, "fanned_out_at": None}, {"fanned_out_at": now}, EVENT_FIELDS)
        if not claimed:
            return []
    wanted = more_events + (event_id is None)
    if wanted > 0:
        claimed += sorted(_claim_oldest_waiting(wanted, now))  # ids sort by time
    return [Event.from_db(Event.objects.db, EVENT_FIELDS, row) for row in claimed]


def _claim_oldest_waiting(wanted, now):
    """Mark up to ``wanted`` of the oldest events waiting for fan-out fanned out; returns their ``EVENT_FIELDS``.

    One statement, written once (it runs in every fan-out): the oldest are
    picked through the outbox index, skipping those another fan-out has
    locked, and the UPDATE checks again that each still waits.
    """
    connection = connections[router.db_for_write(Event)]
    stamp = Event._meta.get_field("fanned_out_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(_claim_oldest_sql(connection.alias), [stamp, wanted])
        return cursor.fetchall()


@functools.lru_cache(maxsize=8)
def _claim_oldest_sql(alias):
    """Where rows can be locked, the pick is an ``ARRAY(…)``, run once before the UPDATE: as an ``IN (…)``
    subquery PostgreSQL may run it again for each candidate row, and with ``SKIP LOCKED`` each run can pick
    others (more than ``LIMIT`` in all)."""
    connection = connections[alias]
    table = sql_names.table(Event, alias)
    key, done, created = (sql_names.column(Event, alias, name) for name in ("id", "fanned_out_at", "created_at"))
    oldest = f"SELECT {key} FROM {table} WHERE {done} IS NULL ORDER BY {created}, {key} LIMIT %s"
    if connection.features.has_select_for_update_skip_locked:
        picked = f"= ANY(ARRAY({oldest} FOR UPDATE SKIP LOCKED))"
    else:  # SQLite: one writer at a time, nothing to skip
        picked = f"IN ({oldest})"
    returned = ", ".join(sql_names.column(Event, alias, name) for name in EVENT_FIELDS)
    return f"UPDATE {table} SET {done} = %s WHERE {key} {picked} AND {done} IS NULL RETURNING {returned}"


def _deliveries_for(events, endpoints, enough, now):
    """Unsaved deliveries of ``events``, event by event, as long as they stay within ``enough``, each with
    the body it sends when its endpoint's shape is not the event's own (``wire.delivery_bodies``).

    Returns ``(rows, events not taken)``; the first event is always taken whole.
    """
    rows, shaped, unreached = [], [], []
    for position, event in enumerate(events):
        more, more_shaped = _deliveries_of(event, endpoints.get(event.tenant_id, ()), now)
        if position and len(rows) + len(more) > enough:
            unreached = events[position:]
            break
        rows += more
        shaped += more_shaped
    bodies = wire.delivery_bodies([(row.endpoint, row.event_id, content) for row, content in shaped])
    for (row, _), (body, content_type, body_error) in zip(shaped, bodies):
        row.body, row.content_type, row.body_error = body, content_type, body_error
    return rows, unreached


def _deliveries_of(event, endpoints, now):
    """One unsaved delivery per endpoint that wants ``event``, by its type and then its content filter;
    and those whose endpoint has a shape of its own, with the event's content to make it from.

    The event's body is parsed once, and only if an endpoint has a filter or
    a shape of its own.
    """
    content, rows, shaped, blank = None, [], [], Blank.of(Delivery)
    for endpoint in endpoints:
        if not matches(endpoint.event_types, event.event_type):
            continue
        own_shape = wire.has_own_shape(endpoint)
        if endpoint.filter is not None or own_shape:
            content = content or json.loads(event.body)
        if endpoint.filter is not None and not filters.matches(endpoint.filter, event.event_type, content["data"]):
            continue
        row = blank.new(event_id=event.pk, endpoint_id=endpoint.pk, tenant_id=event.tenant_id, created_at=now,
                        related={"event": event, "endpoint": endpoint})
        rows.append(row)
        if own_shape:
            shaped.append((row, content))
    return rows, shaped


def _pushed_and_kept(rows):
    """The deliveries to send, and those kept for polling endpoints (same matching, same body): never sent."""
    pushed, kept = [], []
    for row in rows:
        (kept if row.endpoint.kind == Endpoint.Kind.POLLING else pushed).append(row)
    return pushed, kept


def _create_deliveries(event_id, send_now, more_events, enough):
    now = timezone.now()
    token = states.new_token()
    with transaction.atomic():
        events = _claim_events(event_id, now, more_events)
        if not events:
            return [], [], None, False
        tracing.link_events(events)
        endpoints = {}
        # With each endpoint's state row (the health stage reads it): a join, not a query per endpoint.
        for endpoint in endpoint_loading.enabled_endpoints({e.tenant_id for e in events}):
            endpoints.setdefault(endpoint.tenant_id, []).append(endpoint)
        rows, unreached = _deliveries_for(events, endpoints, enough, now)
        if unreached:  # back to the outbox, for the next fan-out
            Event.objects.filter(pk__in=[e.pk for e in unreached]).update(fanned_out_at=None)
        rows, kept = _pushed_and_kept(rows)
        states.keep_for_polling(kept, now=now)
        lined = [row for row in rows if row.endpoint.ordered]
        rows = [row for row in rows if not row.endpoint.ordered] if lined else rows
        states.create_in_line(lined, now=now)
        states.create_claimed(rows, token, now=now, send_now=send_now)
    more_waiting = bool(unreached) or len(events) >= more_events + 1
    return rows, lined, token, more_waiting
