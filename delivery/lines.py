"""Ordered delivery: an ordered endpoint's deliveries go out one at a time, in publish order.

The line is held by the database, not by a process.  Its rule is one claim
(``states.claim_heads``): of an ordered endpoint, only the unfinished
delivery of the earliest-published event (the head) may be claimed, and only
while nothing else of the endpoint is being sent and no earlier event of its
tenant still waits for its fan-out.  A delivery leaves the line when it has
succeeded, failed for good or been cancelled; a retry keeps its schedule and
the line waits for it.  The rest of the line waits as ``pending`` rows with
no time of their own, so it costs the dispatcher's queue nothing.

Any number of workers on any number of machines may claim at once (the claim
is ``SKIP LOCKED`` and conditional); a killed worker's head comes back when
its lease lapses; a lost task or a lost broker only delays the line, since
the dispatcher looks for free heads on every tick.  So that a line does not
wait for that tick, whoever moves it (an outcome recorded, a fan-out, a
resend or a cancel) claims the next head at once (``advance``).  An outcome
recorded claims it in the transaction that records it (``claim_next``): the
line moves with the outcome, in one commit.
"""

import logging
import threading
import time

from django.db import DatabaseError, transaction

from delivery import states
from delivery.handoff import enqueue_batch
from delivery.models import Delivery
from subscriptions.signals import endpoint_unordered

# How long a send task goes on with the heads its own outcomes freed before it hands the rest of
# the line to the broker, so that other work gets the worker slot in turn.
CARRY_ON_SECONDS = 0.5

_carried = threading.local()
logger = logging.getLogger("delivery")


def advance(endpoint_ids):
    """Claim the heads of these endpoints' lines that may go now and hand them to a worker.

    Called after the change that moved the line has committed; if this fails
    or the hand-off is lost, the dispatcher finds the head on its next tick.
    Inside ``carrying_on`` (a send task's own thread) the heads are kept for
    that task to send next instead: a broker round trip per delivery would
    bound a line's speed.
    """
    endpoint_ids = set(endpoint_ids)
    if not endpoint_ids:
        return 0
    carried = getattr(_carried, "batches", None)
    ids, token = states.claim_heads(len(endpoint_ids), endpoint_ids=endpoint_ids, started=carried is not None)
    if ids and carried is not None:
        carried.append((ids, token))
    elif ids:
        enqueue_batch(ids, token)
    return len(ids)


def claim_next(deliveries, held):
    """In the transaction recording these outcomes: claim the next head of each line that one of them
    left (``held``: the ids the recording wrote).  Returns the claim for ``hand_over``, or None.

    If the recording rolls back, so does the claim; a claim that fails is
    rolled back alone (its savepoint) and logged, so that it never costs the
    outcomes their recording: the dispatcher finds the head on its next tick.
    """
    finished = [d for d in deliveries if d.pk in held and d.status in Delivery.Status.FINISHED]
    endpoints = {d.endpoint_id: d.endpoint for d in finished if d.endpoint.ordered}
    if not endpoints:
        return None
    carried = getattr(_carried, "batches", None)
    try:
        with transaction.atomic():
            ids, token = states.claim_heads(len(endpoints), endpoint_ids=endpoints, started=carried is not None)
    except DatabaseError:
        logger.exception("claiming the next head of %d ordered lines failed", len(endpoints))
        return None
    return (ids, token, carried, endpoints) if ids else None


def hand_over(claim):
    """After the recording transaction: ``claim_next``'s heads go to this send task (``carrying_on``),
    which claimed them started, with the endpoints it has loaded, or else to the broker."""
    if claim is None:
        return
    ids, token, carried, endpoints = claim
    if carried is not None:
        carried.append((ids, token, endpoints))
    else:
        enqueue_batch(ids, token)


def carrying_on(send, send_started, ids, token, *args):
    """``send(ids, token, *args)``, then the line heads its outcomes freed, in this thread, for up to
    ``CARRY_ON_SECONDS``; after that, freed heads go to the broker.  Returns what the first ``send`` did.

    The heads are claimed already started (``states.claim_heads``), so they go
    to ``send_started(rows, token)`` with their rows loaded, and every one
    claimed so is sent here.  Only outcomes recorded in this thread count (a
    slow answer is recorded by the send pool's recorder thread, which hands its
    heads to the broker).  A head goes with the endpoint object its
    predecessor went with (only the delivery and its event are loaded): what
    an endpoint's row says is at most ``CARRY_ON_SECONDS`` older than the
    claim, which checked in the database that the endpoint is still enabled
    and ordered; a disable decided by this task's own outcomes is on that
    object (``endpoint_health``).
    """
    _carried.batches = batches = []
    deadline = time.monotonic() + CARRY_ON_SECONDS
    try:
        result = send(ids, token, *args)
        while batches:
            if time.monotonic() >= deadline:
                _carried.batches = None  # from now on the line goes back to the broker
            held_ids, held_token, endpoints = batches.pop(0)
            send_started(states.held_rows(held_ids, held_token, endpoints=endpoints), held_token)
    finally:
        _carried.batches = None
    return result


def moved_by(deliveries):
    """The ordered endpoints whose line these deliveries left (finished) or joined."""
    return {d.endpoint_id for d in deliveries if d.endpoint.ordered}


def _unordered(sender, endpoint, **kwargs):
    states.end_line(endpoint.pk)


def connect():
    endpoint_unordered.connect(_unordered, dispatch_uid="delivery-end-line")
