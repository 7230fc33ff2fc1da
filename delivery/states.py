"""A delivery's state machine: the one module that changes its status, lease and next attempt.

No other module writes ``status``, ``lease_token``, ``lease_expires_at``,
``send_started_at`` or ``next_attempt_at`` (``tests/delivery/test_state_owner.py``
checks it), so "who can move a delivery to X?" has its answer here::

    new (fan-out, test event) ──create_claimed──▶ sending
    new (fan-out, ordered endpoint) ──create_in_line──▶ pending, no time: waits for its turn
    pending | retrying, head of its line ──claim_heads──▶ sending      (ordered endpoints)
    pending | retrying ──claim_due──▶ sending ──record──▶ succeeded | retrying | failed
    sending, lease lapsed ──claim_expired──▶ sending     (a started send counts as failed)
    any but sending ──claim_one──▶ sending                (a resend by hand)
    any but sending ──return_to_line──▶ pending | retrying  (a resend by hand, ordered endpoint)
    failed ──requeue_failed──▶ retrying, due now          (recover)
    sending ──release──▶ pending | retrying | its finished state
    pending | retrying ──cancel──▶ cancelled;  park / unpark: no time / due now
    new, to a polling endpoint ──keep_for_polling──▶ pending, no time, never claimed
    pending, polled ──acknowledge_polled──▶ succeeded    (the consumer committed past it)

Every change of a delivery's state is one conditional UPDATE.  A claim gives
a batch of rows a fresh ``lease_token`` and moves them to ``sending``; only
the holder of that token may record their outcome.  A lease that lapses
(its worker died, or the broker lost the task) makes the rows claimable again.
A lease that lapses after its worker had started sending (``send_started_at``
is set) stands for a send that died with its worker: whoever takes the rows up
next counts that as a failed attempt instead of sending again, so a receiver
that crashes workers cannot loop a delivery forever.
"""

import uuid
from datetime import timedelta

from django.db import connections, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from delivery import endpoint_loading, node
from delivery.bulk_insert import insert_instances
from delivery.endpoint_policy import longest_send
from delivery.models import Delivery, Event, fit
from delivery.retry_policy import gives_up_at_once, next_delay, parse_retry_after, schedule_for
from delivery.returning import Increment, update_where
from delivery.wire import BodyError
from subscriptions import conf
from subscriptions.models import Endpoint

Status = Delivery.Status
# The states that keep a delivery in its endpoint's line (``hp_delivery_line_idx`` holds these rows).
UNFINISHED = (Status.PENDING, Status.RETRYING, Status.SENDING)


def can_resend(delivery):
    """Whether a delivery may be resent by hand now: any state but being sent."""
    return delivery.status != Status.SENDING


def can_cancel(delivery):
    """Whether a delivery may be cancelled: only while it waits for an attempt."""
    return delivery.status in Status.WAITING


def new_token():
    return uuid.uuid4().hex


def _claim(queryset, limit, now):
    token = new_token()
    with transaction.atomic():
        ids = list(
            queryset.select_for_update(skip_locked=True, of=("self",))
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(id__in=ids).update(
                status=Status.SENDING,
                lease_token=token,
                lease_expires_at=now + timedelta(seconds=conf.get().queue_lease),
                next_attempt_at=None,
            )
    return ids, token


PUSHED = Q(endpoint__kind=Endpoint.Kind.HTTP)  # a polling endpoint's deliveries are never claimed for sending


def claim_due(limit, now=None):
    """Waiting deliveries whose time has come, of endpoints that are enabled, have a URL and are not
    ordered (``claim_heads``)."""
    now = now or timezone.now()
    due = Delivery.objects.filter(
        PUSHED, status__in=Status.WAITING, next_attempt_at__lte=now, endpoint__disabled=False,
        endpoint__ordered=False
    ).order_by("next_attempt_at")
    return _claim(due, limit, now)


def claim_heads(limit, now=None, endpoint_ids=None, started=False):
    """The deliveries at the head of their ordered endpoint's line that may go now (``delivery/lines.py``).

    ``endpoint_ids`` narrows the search to those endpoints (a line just moved).
    ``started``: the claiming worker sends them at once (``held_rows``), so they
    are marked started under the sending lease in the same statement, as the
    fan-out's first batch is (one commit less per delivery of a line).
    Of each enabled ordered endpoint, its unfinished delivery of the
    earliest-published event is claimed if that one waits, is due (a line
    member has no time of its own: due at once), nothing of the endpoint is
    being sent, and no event of its tenant published before it still waits for
    fan-out.  One conditional ``UPDATE``, cheap whatever the length of a line:
    each endpoint's head is a scalar subquery, one probe of
    ``hp_delivery_line_idx`` per ordered endpoint (the planner cannot turn it
    into a scan of every waiting line member), and the checks run on the rows
    as they are then (locked with ``SKIP LOCKED`` on PostgreSQL).  Plain SQL:
    it runs after every delivery of a line, where building the ORM's
    expressions cost more than the statement.
    """
    now = now or timezone.now()
    endpoint_ids = None if endpoint_ids is None else list(endpoint_ids)
    if endpoint_ids == []:
        return [], None
    token = new_token()
    settings = conf.get()
    lease = now + timedelta(seconds=settings.execution_lease if started else settings.queue_lease)
    connection = connections[Delivery.objects.db]
    locking = " FOR UPDATE OF d SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    narrowed = "" if endpoint_ids is None else " AND p.id IN ({})".format(", ".join(["%s"] * len(endpoint_ids)))
    sql = CLAIM_HEADS_SQL.format(delivery=Delivery._meta.db_table, event=Event._meta.db_table,
                                 endpoint=Endpoint._meta.db_table, narrowed=narrowed, locking=locking)
    adapt = connection.ops.adapt_datetimefield_value
    params = [token, adapt(lease), adapt(now) if started else None, True, False, Endpoint.Kind.HTTP.value,
              *(endpoint_ids or ()), adapt(now), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = sorted(pk for (pk,) in cursor.fetchall())
    return (ids, token) if ids else ([], None)


# A polling endpoint has no line to send: its consumer reads in publish order (``delivery.polling``).
CLAIM_HEADS_SQL = """
UPDATE {delivery} SET status = 'sending', lease_token = %s, lease_expires_at = %s, send_started_at = %s,
    next_attempt_at = NULL
WHERE id IN (
    SELECT d.id FROM {delivery} d JOIN {event} e ON e.id = d.event_id
    WHERE d.id IN (SELECT (SELECT h.id FROM {delivery} h
                           WHERE h.endpoint_id = p.id AND h.status IN ('pending', 'retrying', 'sending')
                           ORDER BY h.event_id LIMIT 1)
                   FROM {endpoint} p WHERE p.ordered = %s AND p.disabled = %s AND p.kind = %s{narrowed})
      AND d.status IN ('pending', 'retrying')
      AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= %s)
      AND NOT EXISTS (SELECT 1 FROM {delivery} a WHERE a.endpoint_id = d.endpoint_id
                      AND a.status IN ('pending', 'retrying', 'sending') AND a.event_id < d.event_id)
      AND NOT EXISTS (SELECT 1 FROM {delivery} s WHERE s.tenant_id = d.tenant_id AND s.status = 'sending'
                      AND s.endpoint_id = d.endpoint_id)
      AND NOT EXISTS (SELECT 1 FROM {event} o WHERE o.tenant_id = d.tenant_id AND o.fanned_out_at IS NULL
                      AND o.created_at < e.created_at)
    ORDER BY d.event_id LIMIT %s{locking}
) RETURNING id
"""


def claim_expired(limit, now=None):
    """Deliveries whose sender vanished: their lease ran out before an outcome was recorded."""
    now = now or timezone.now()
    lapsed = Delivery.objects.filter(status=Status.SENDING, lease_expires_at__lt=now).order_by(
        "lease_expires_at"
    )
    return _claim(lapsed, limit, now)


def claim_one(delivery_id, now=None):
    """Claim one delivery now, whatever its schedule, unless it is being sent already
    or its endpoint is disabled (a resend would only park it)."""
    now = now or timezone.now()
    token = new_token()
    claimed = Delivery.objects.filter(
        Q(pk=delivery_id) & ~Q(status=Status.SENDING) & Q(endpoint__disabled=False) & PUSHED
    ).update(
        status=Status.SENDING,
        resent_from=F("status"),
        lease_token=token,
        lease_expires_at=now + timedelta(seconds=conf.get().queue_lease),
        next_attempt_at=None,
    )
    return ([delivery_id], token) if claimed else ([], None)


def create_in_line(rows, *, now):
    """Save new deliveries of ordered endpoints waiting in their line, with no time of their own:
    ``claim_heads`` takes each when it is at the head."""
    for row in rows:
        row.status, row.next_attempt_at, row.created_at = Status.PENDING, None, now
    insert_instances(rows)
    return rows


def return_to_line(delivery_id):
    """A resend by hand of an ordered endpoint's delivery: back in the line at its event's place
    (``claim_heads`` sends it once the line is free), unless it is being sent or its endpoint is disabled."""
    return bool(Delivery.objects.filter(
        Q(pk=delivery_id) & ~Q(status=Status.SENDING) & Q(endpoint__disabled=False)
    ).update(
        status=Case(When(attempt_count=0, then=Value(Status.PENDING)), default=Value(Status.RETRYING)),
        resent_from=F("status"), next_attempt_at=None, lease_token=None, lease_expires_at=None,
        send_started_at=None,
    ))


def create_claimed(rows, token, *, now, send_now=0):
    """Save new deliveries already claimed under ``token`` (fan-out, a test event).

    The first ``send_now`` are being sent by the creating worker at once: they
    are marked started and their lease covers the sending.  The others wait
    for a worker under the shorter queue lease.
    """
    settings = conf.get()
    queued_until = now + timedelta(seconds=settings.queue_lease)
    sending_until = now + timedelta(seconds=_execution_lease(rows[:send_now], settings))
    for position, row in enumerate(rows):
        sending = position < send_now
        row.status, row.lease_token, row.created_at = Status.SENDING, token, now
        row.lease_expires_at = sending_until if sending else queued_until
        row.send_started_at = now if sending else None
        row.lease_node = node.name() if sending else ""
    insert_instances(rows)
    return rows


def requeue_failed(endpoint_id, since, now=None):
    """Failed deliveries to an endpoint created since ``since`` become due now, as resends by hand
    of failed ones (recover); the dispatcher claims them in its batches.  Returns the count.

    An ordered endpoint's go back to its line at their events' places, with no time of their own.
    """
    now = now or timezone.now()
    in_line = Endpoint.objects.filter(pk=endpoint_id, ordered=True).exists()
    return Delivery.objects.filter(PUSHED, endpoint_id=endpoint_id, status=Status.FAILED, created_at__gte=since).update(
        status=Status.RETRYING, next_attempt_at=None if in_line else now, resent_from=Status.FAILED,
        lease_token=None, lease_expires_at=None,
    )


def cancel(delivery_id, now=None):
    """Stop a waiting delivery from being tried again; False if it was not waiting."""
    now = now or timezone.now()
    return bool(Delivery.objects.filter(pk=delivery_id, status__in=Status.WAITING).update(
        status=Status.CANCELLED, next_attempt_at=None, finished_at=now))


def park(endpoint_id):
    """Waiting deliveries of a disabled endpoint are kept, with no time set, until it is enabled."""
    Delivery.objects.filter(endpoint_id=endpoint_id, status__in=Status.WAITING).update(next_attempt_at=None)


def unpark(endpoint_id, now=None):
    """An enabled endpoint's waiting deliveries are due now: the kept ones go first.

    Not those of an ordered endpoint: they wait in its line with no time, which
    ``claim_heads`` takes for due (``end_line`` when ``ordered`` is turned off).
    """
    Delivery.objects.filter(PUSHED, endpoint_id=endpoint_id, status__in=Status.WAITING,
                            endpoint__ordered=False).update(
        next_attempt_at=now or timezone.now())


def end_line(endpoint_id, now=None):
    """``ordered`` was turned off: the deliveries waiting in the line with no time become due now
    (unless the endpoint is disabled, where no time means parked)."""
    Delivery.objects.filter(endpoint_id=endpoint_id, status__in=Status.WAITING, next_attempt_at__isnull=True,
                            endpoint__disabled=False).update(next_attempt_at=now or timezone.now())


def keep_for_polling(rows, *, now):
    """Save new deliveries to polling endpoints: pending with no time and no lease, so that no
    claim ever takes them; their consumer reads them (``delivery.polling``)."""
    for row in rows:
        row.status, row.created_at, row.next_attempt_at = Status.PENDING, now, None
    insert_instances(rows)
    return rows


def number_for_polling(endpoint_id, after, limit):
    """Give up to ``limit`` kept deliveries no poll has reached yet their places after ``after``,
    in publish order (event ids sort by time); returns the last place given.

    The caller holds the endpoint's state row locked, so places are given by
    one poll at a time, to rows already committed: a delivery made later
    (an event whose publish committed late) gets a later place, never one
    that a consumer has already passed.
    """
    ids = list(Delivery.objects.filter(endpoint_id=endpoint_id, status=Status.PENDING, poll_seq__isnull=True)
               .order_by("event_id", "id").values_list("id", flat=True)[:limit])
    if ids:
        places = Case(*(When(pk=pk, then=Value(after + n)) for n, pk in enumerate(ids, 1)),
                      output_field=Delivery._meta.get_field("poll_seq"))
        Delivery.objects.filter(pk__in=ids, poll_seq__isnull=True).update(poll_seq=places)
    return after + len(ids)


def acknowledge_polled(endpoint_id, upto, now=None):
    """The consumer committed its place ``upto``: its kept deliveries up to there are done (succeeded)."""
    return Delivery.objects.filter(endpoint_id=endpoint_id, status=Status.PENDING, poll_seq__lte=upto).update(
        status=Status.SUCCEEDED, finished_at=now or timezone.now())


def start(ids, token, now=None):
    """A worker takes up a claimed batch: extend the lease to cover sending it, load the rows.

    Rows come back as they were before this call: a row whose
    ``send_started_at`` is already set was being sent by a worker that
    vanished (see ``recording.record_lost``); only the others are marked started.
    """
    now = now or timezone.now()
    rows = held_rows(ids, token)
    marked = {pk for (pk,) in update_where(Delivery, {**_fence(token), "id": ids, "send_started_at": None}, {
        "lease_expires_at": now + timedelta(seconds=_execution_lease(rows, conf.get())), "send_started_at": now,
        "lease_node": node.name()})}
    # A row claimed again between the read and the mark (its lease lapsed, or its node was
    # found silent: ``expire_leases_of``) is no longer this batch's to send.
    return [row for row in rows if row.send_started_at is not None or row.pk in marked]


def expire_leases_of(nodes, *, claimed_before, now=None):
    """Leases that a silent worker node may hold lapse now (failover, ``delivery.heartbeat``).

    Those of batches ``nodes`` were sending, and those of batches still
    queued that were claimed before ``claimed_before`` (one of the nodes may
    have taken them from the broker).  ``claim_expired`` then takes them up.
    A live node's started batches are never touched.  Returns how many.
    """
    now = now or timezone.now()
    queued_lease = timedelta(seconds=conf.get().queue_lease)
    theirs = Q(send_started_at__isnull=False, lease_node__in=list(nodes))
    queued_then = Q(send_started_at__isnull=True, lease_expires_at__lte=claimed_before + queued_lease)
    return Delivery.objects.filter(status=Status.SENDING, lease_expires_at__gt=now).filter(
        theirs | queued_then).update(lease_expires_at=now - timedelta(milliseconds=1))  # lapsed as of ``now``


def _execution_lease(rows, settings):
    """The lease of a batch being sent: its slowest endpoint's send (own timeout, fallback) sets it."""
    return settings.execution_lease_for(max((longest_send(d.endpoint, settings) for d in rows), default=0))


def held_rows(ids, token, endpoints=None):
    """The rows of ``ids`` this token holds, loaded for sending (event, endpoint, its secrets).

    ``endpoints``: endpoint objects already loaded so (with their secrets and
    state row), by id; rows of those endpoints are given them instead of
    loading them again (``lines.carrying_on``).
    """
    held = fenced(token).filter(id__in=ids).order_by("id")
    if endpoints:
        rows = list(held.select_related("event"))
        if all(row.endpoint_id in endpoints for row in rows):
            for row in rows:
                row.endpoint = endpoints[row.endpoint_id]
            return rows
    rows = list(held.select_related("event", "endpoint__send_state"))
    endpoint_loading.attach_secrets([row.endpoint for row in rows])
    return rows


def release(deliveries, token, *, next_attempt_at):
    """Give claimed deliveries back without an attempt (endpoint disabled, over its rate limit, no room).

    ``next_attempt_at`` is one time for all, or a list with one per delivery;
    ``None`` parks them until their endpoint is enabled again.  A finished
    delivery that was resent by hand goes back to its finished state instead:
    parking would make it wait, and go out again, on enable.
    """
    times = next_attempt_at if isinstance(next_attempt_at, list) else [next_attempt_at] * len(deliveries)
    groups = {}
    for delivery, when in zip(deliveries, times, strict=True):
        groups.setdefault(_released_status(delivery, parked=when is None), {})[delivery.pk] = when
    for status, when_by_id in groups.items():
        Delivery.objects.filter(id__in=list(when_by_id), lease_token=token, status=Status.SENDING).update(
            status=status, lease_token=None, lease_expires_at=None, send_started_at=None, resent_from="",
            next_attempt_at=None if status in Status.FINISHED else _one_value(when_by_id),
        )


def _one_value(when_by_id):
    """The ``next_attempt_at`` value of an UPDATE: a constant when all agree, else a CASE on the id
    with one branch per distinct time (callers round times so that there are few)."""
    ids_by_when = {}
    for pk, when in when_by_id.items():
        ids_by_when.setdefault(when, []).append(pk)
    if len(ids_by_when) == 1:
        return next(iter(ids_by_when))
    return Case(*(When(pk__in=ids, then=Value(when)) for when, ids in ids_by_when.items()),
                output_field=Delivery._meta.get_field("next_attempt_at"))


def _released_status(delivery, *, parked):
    if parked and delivery.resent_from in Status.FINISHED:
        return delivery.resent_from
    return Status.RETRYING if delivery.attempt_count else Status.PENDING


def fenced(token):
    """The rows this token still holds: the only ones an outcome may be written to."""
    return Delivery.objects.filter(**_fence(token))


def _fence(token):
    """``fenced``'s conditions, for ``update_where``."""
    return {"lease_token": token, "status": Status.SENDING}


def settle(delivery, outcome, now, settings):
    """Move one delivery, in memory, to where its attempt's outcome leads; True when it has just been exhausted.

    ``record`` writes what this decided.
    """
    delivery.attempt_count += 1
    delivery.last_attempt_at = now
    delivery.last_response_status = outcome.status
    delivery.last_error = fit(Delivery, "last_error",
                              outcome.error_message or (f"HTTP {outcome.status}" if not outcome.succeeded else ""))
    delivery.lease_token = None
    delivery.lease_expires_at = None
    if outcome.succeeded:
        delivery.status, delivery.finished_at, delivery.next_attempt_at = Status.SUCCEEDED, now, None
        return False
    endpoint = delivery.endpoint
    # No body to send (every attempt would fail alike), or the receiver refused the request itself.
    if outcome.error_class == BodyError.__name__ or gives_up_at_once(outcome.status,
                                                                     retry_on_4xx=endpoint.retry_on_4xx):
        delay = None
    else:
        delay = next_delay(delivery.attempt_count, schedule_for(endpoint, settings), jitter=settings.retry_jitter,
                           retry_after=parse_retry_after(outcome.retry_after, now))
    if delay is None:
        delivery.status, delivery.finished_at, delivery.next_attempt_at = Status.FAILED, now, None
        return True
    delivery.status, delivery.next_attempt_at = Status.RETRYING, now + timedelta(seconds=delay)
    return False


OUTCOME_FIELDS = ("status", "next_attempt_at", "last_attempt_at", "last_response_status", "last_error",
                  "finished_at")


def record(deliveries, token):
    """Write the states ``settle`` gave these deliveries, where ``token`` still holds them; returns the ids written.

    One conditional UPDATE per group of deliveries that end in the same
    state: a batch to healthy receivers is one group, so this is one
    statement where ``bulk_update`` would build a CASE per row and field.
    The statement itself says which rows the token still held.
    """
    groups = {}
    for delivery in deliveries:
        key = tuple(getattr(delivery, name) for name in OUTCOME_FIELDS)
        groups.setdefault(key, []).append(delivery.pk)
    held = set()
    for key, ids in groups.items():
        values = {"attempt_count": Increment(), "lease_token": None, "lease_expires_at": None,
                  "send_started_at": None, "resent_from": "", **dict(zip(OUTCOME_FIELDS, key))}
        held.update(pk for (pk,) in update_where(Delivery, {**_fence(token), "id": ids}, values))
    return held
