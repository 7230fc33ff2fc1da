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
resend or a cancel) claims the next head at once (``advance``).
"""

from delivery import states
from delivery.handoff import enqueue_batch
from subscriptions.signals import endpoint_unordered


def advance(endpoint_ids):
    """Claim the heads of these endpoints' lines that may go now and hand them to a worker.

    Called after the change that moved the line has committed; if this fails
    or the hand-off is lost, the dispatcher finds the head on its next tick.
    """
    endpoint_ids = set(endpoint_ids)
    if not endpoint_ids:
        return 0
    ids, token = states.claim_heads(len(endpoint_ids), endpoint_ids=endpoint_ids)
    if ids:
        enqueue_batch(ids, token)
    return len(ids)


def moved_by(deliveries):
    """The ordered endpoints whose line these deliveries left (finished) or joined."""
    return {d.endpoint_id for d in deliveries if d.endpoint.ordered}


def _unordered(sender, endpoint, **kwargs):
    states.end_line(endpoint.pk)


def connect():
    endpoint_unordered.connect(_unordered, dispatch_uid="delivery-end-line")
