"""Endpoint health, the last stage of the send path: what a batch's answers say about their endpoints.

A success clears an endpoint's failure streak; a failure of the egress
proxy says nothing about the endpoint and is left out; a streak longer than
``WEBHOOKS_DISABLE_AFTER``, a ``410 Gone``, or an answer carrying
``webhook-delivery: disable`` (from its URL or its fallback URL) disables it (which fires
``endpoint_disabled`` and parks its waiting deliveries).  Enabling an
endpoint starts its streak afresh.  The streak is kept in the endpoint's
``EndpointState`` row, made here for an endpoint first heard from.
"""

import logging
from datetime import timedelta

from django.db.models import Q

from delivery import wire
from delivery.endpoint_policy import DISABLE_REASON, asks_to_disable
from delivery.http_client import PROXY_ERROR
from delivery.models import EndpointState
from subscriptions.endpoints import disable_endpoint
from subscriptions.models import Endpoint
from subscriptions.signals import endpoint_enabling

logger = logging.getLogger("delivery")


def update(deliveries, outcomes, now, settings):
    """Successes clear an endpoint's failure streak; a long streak, a 410 or the receiver's say disables it."""
    ok = {d.endpoint_id for d, (_, o) in zip(deliveries, outcomes) if o.succeeded}
    failed = {d.endpoint_id for d, (_, o) in zip(deliveries, outcomes)
              if not o.succeeded and o.error_class != PROXY_ERROR} - ok
    answers = [(d.endpoint_id, o) for d, sent in zip(deliveries, outcomes) for _, o in wire.exchanges(sent)]
    gone = {endpoint_id for endpoint_id, o in answers if o.status == 410}
    steered = {endpoint_id for endpoint_id, o in answers if asks_to_disable(o)} - gone
    states = {d.endpoint_id: _loaded_state(d.endpoint) for d in deliveries}
    _create_missing(states, ok, failed, now)
    # Written when it changes something worth knowing, not on every batch of a busy endpoint:
    # the rows as loaded for this batch say whether it would (the filter below re-checks; a row just
    # made is checked too, in case another worker's, made first, says otherwise).
    stale = now - timedelta(seconds=10)
    ok = {e for e in ok if states[e] is None or states[e].failing_since is not None
          or states[e].last_success_at is None or states[e].last_success_at < stale}
    if ok:
        EndpointState.objects.filter(pk__in=ok).filter(
            Q(failing_since__isnull=False) | Q(last_success_at__isnull=True) | Q(last_success_at__lt=stale)
        ).update(last_success_at=now, failing_since=None)
    disabled = set()
    if failed:
        EndpointState.objects.filter(pk__in=failed, failing_since__isnull=True).update(failing_since=now)
        cutoff = now - timedelta(seconds=settings.disable_after)
        too_long = Endpoint.objects.filter(id__in=failed, disabled=False, send_state__failing_since__lte=cutoff)
        for endpoint in too_long.select_related("send_state"):
            since = f"{endpoint.send_state.failing_since:%Y-%m-%d %H:%M}"
            disabled.add(disable_endpoint(endpoint, reason=f"Every attempt has failed since {since} UTC.").pk)
    if gone:
        for endpoint in Endpoint.objects.filter(id__in=gone, disabled=False):
            disabled.add(disable_endpoint(endpoint, reason="The receiver answered 410 Gone.").pk)
    for endpoint in Endpoint.objects.filter(id__in=steered, disabled=False) if steered else ():
        logger.warning("the receiver asked to disable its endpoint", extra={"endpoint_id": endpoint.pk})
        disabled.add(disable_endpoint(endpoint, reason=DISABLE_REASON).pk)
    _as_written(deliveries, states, ok, failed, disabled, now)


def _as_written(deliveries, states, ok, failed, disabled, now):
    """The batch's endpoint objects say what was just written: a send task going on with an ordered
    line sends its next head with the same object (``lines.carrying_on``), which must not go to an
    endpoint just disabled, nor take a streak just begun for none."""
    for endpoint_id in ok:
        if states[endpoint_id] is not None:
            states[endpoint_id].last_success_at, states[endpoint_id].failing_since = now, None
    for endpoint_id in failed:
        if states[endpoint_id] is not None and states[endpoint_id].failing_since is None:
            states[endpoint_id].failing_since = now
    for delivery in deliveries:
        if delivery.endpoint_id in disabled:
            delivery.endpoint.disabled = True


def _loaded_state(endpoint):
    """The endpoint's state row as loaded with the batch (``states.start``), or None if it has none."""
    return getattr(endpoint, "send_state", None)


def _create_missing(states, ok, failed, now):
    """Rows for endpoints heard from for the first time, already saying what this batch says.

    Only when the batch's rows show none, so a steady endpoint costs nothing
    here; one made meanwhile by another worker is left as it is (the updates
    that follow see it).
    """
    missing = [EndpointState(endpoint_id=e, last_success_at=now) for e in ok if states[e] is None]
    missing += [EndpointState(endpoint_id=e, failing_since=now) for e in failed if states[e] is None]
    if missing:
        EndpointState.objects.bulk_create(missing, ignore_conflicts=True)


def _restart_streak(sender, endpoint, **kwargs):
    """Enabling an endpoint starts its failure streak afresh, in the enabling transaction."""
    EndpointState.objects.filter(pk=endpoint.pk).update(failing_since=None)


def connect():
    endpoint_enabling.connect(_restart_streak, dispatch_uid="delivery-restart-streak")
