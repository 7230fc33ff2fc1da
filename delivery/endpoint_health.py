"""Endpoint health, the last stage of the send path: what a batch's answers say about their endpoints.

A success clears an endpoint's failure streak; a streak longer than
``WEBHOOKS_DISABLE_AFTER``, or a ``410 Gone``, disables it (which fires
``endpoint_disabled`` and parks its waiting deliveries).
"""

from datetime import timedelta

from django.db.models import Q

from subscriptions.endpoints import disable_endpoint
from subscriptions.models import Endpoint


def update(deliveries, outcomes, now, settings):
    """Successes clear an endpoint's failure streak; a long streak or a 410 disables it."""
    ok = {d.endpoint_id for d, (_, o) in zip(deliveries, outcomes) if o.succeeded}
    failed = {d.endpoint_id for d, (_, o) in zip(deliveries, outcomes) if not o.succeeded} - ok
    gone = {d.endpoint_id for d, (_, o) in zip(deliveries, outcomes) if o.status == 410}
    # Written when it changes something worth knowing, not on every batch of a busy endpoint:
    # the rows as loaded for this batch say whether it would (the filter below re-checks).
    stale = now - timedelta(seconds=10)
    endpoints = {d.endpoint_id: d.endpoint for d in deliveries}
    ok = {e for e in ok if endpoints[e].failing_since is not None or endpoints[e].last_success_at is None
          or endpoints[e].last_success_at < stale}
    if ok:
        Endpoint.objects.filter(id__in=ok).filter(
            Q(failing_since__isnull=False) | Q(last_success_at__isnull=True) | Q(last_success_at__lt=stale)
        ).update(last_success_at=now, failing_since=None)
    if failed:
        Endpoint.objects.filter(id__in=failed, failing_since__isnull=True).update(failing_since=now)
        cutoff = now - timedelta(seconds=settings.disable_after)
        for endpoint in Endpoint.objects.filter(id__in=failed, disabled=False, failing_since__lte=cutoff):
            since = f"{endpoint.failing_since:%Y-%m-%d %H:%M}"
            disable_endpoint(endpoint, reason=f"Every attempt has failed since {since} UTC.")
    if gone:
        for endpoint in Endpoint.objects.filter(id__in=gone, disabled=False):
            disable_endpoint(endpoint, reason="The receiver answered 410 Gone.")
