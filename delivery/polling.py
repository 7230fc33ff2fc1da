"""Polling endpoints: the consumer of an endpoint without a URL pulls its deliveries.

The fan-out keeps a polling endpoint's deliveries like any others (same
matching, same body), but pending with no time set, so no claim ever sends
them (``states.keep_for_polling``).  A poll reads them in its endpoint's poll
line: each kept delivery gets its place (1, 2, 3, ...) when a poll first
reaches it, in publish order, so a place once passed is never given to a
delivery made later.

The cursor is a place in that line.  ``poll(cursor=N)`` commits N: every
delivery up to N is acknowledged (it becomes ``succeeded``) and the answer
starts after N.  Without a cursor the answer starts after the last committed
place, so a consumer that lost its cursor reads again what it had not
committed; nothing is lost while it is away, as long as the purge keeps it
(``WEBHOOKS_RETENTION``: kept deliveries younger than it are never purged).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from delivery import endpoint_loading, states
from delivery.models import Delivery, EndpointState
from delivery.sending import signed_request

MAX_LIMIT = 100
DEFAULT_LIMIT = 50


@dataclass
class PolledEvent:
    """One event as its push would carry it: the exact body and the headers, signed at this poll."""

    id: str
    event_type: str
    delivery_id: int
    body: str
    headers: dict
    created_at: object


@dataclass
class Page:
    events: list = field(default_factory=list)
    next_cursor: str = "0"
    committed: str = "0"
    done: bool = True  # nothing more to read right now


def parse_cursor(cursor):
    """A cursor is the decimal text of a place in the poll line; ``None`` for none given."""
    if cursor is None or cursor == "":
        return None
    if not isinstance(cursor, str) or not cursor.isascii() or not cursor.isdigit() or len(cursor) > 18:
        raise ValidationError({"cursor": ["Not a cursor of this endpoint: pass back a next_cursor."]})
    return int(cursor)


def _locked_state(endpoint):
    EndpointState.objects.get_or_create(endpoint=endpoint)
    return EndpointState.objects.select_for_update().get(endpoint=endpoint)


def poll(endpoint, *, cursor=None, limit=DEFAULT_LIMIT, now=None):
    """The next ``limit`` events of a polling endpoint after ``cursor`` (committing it), or after the
    last committed place; returns a ``Page``.  A cursor beyond what was ever answered is refused."""
    if endpoint.kind != endpoint.Kind.POLLING:
        raise ValidationError({"kind": ["Only a polling endpoint is polled; this one is sent to its URL."]})
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [f"limit is 1 to {MAX_LIMIT}."]})
    place = parse_cursor(cursor)
    now = now or timezone.now()
    with transaction.atomic():
        state = _locked_state(endpoint)
        if place is not None and place > state.poll_numbered:
            raise ValidationError({"cursor": ["Not a cursor of this endpoint: pass back a next_cursor."]})
        if place is not None and place > state.poll_committed:
            states.acknowledge_polled(endpoint.pk, place, now)
            state.poll_committed, state.poll_committed_at = place, now
        start = state.poll_committed if place is None else place
        ahead = state.poll_numbered - start  # numbered, not yet answered past
        if ahead < limit + 1:  # one more than the page: says whether more wait
            state.poll_numbered = states.number_for_polling(endpoint.pk, state.poll_numbered, limit + 1 - ahead)
        state.save(update_fields=["poll_numbered", "poll_committed", "poll_committed_at"])
        rows = list(Delivery.objects.filter(endpoint=endpoint, poll_seq__gt=start)
                    .select_related("event", "endpoint").order_by("poll_seq")[:limit + 1])
        endpoint_loading.attach_secrets([row.endpoint for row in rows])
    page_rows = rows[:limit]
    return Page(events=[_polled(row) for row in page_rows],
                next_cursor=str(page_rows[-1].poll_seq if page_rows else start),
                committed=str(state.poll_committed), done=len(rows) <= limit)


def _polled(delivery):
    request = signed_request(delivery)
    return PolledEvent(id=delivery.event_id, event_type=delivery.event.event_type, delivery_id=delivery.pk,
                       body=request.body.decode(), headers=request.headers, created_at=delivery.event.created_at)
