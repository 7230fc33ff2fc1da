"""Per-endpoint rate limits, shared by every worker on every machine.

Each endpoint with a ``rate_limit`` keeps a one-second window in its
``EndpointState`` row (``rate_window``, ``rate_count``).  A batch reserves
room in the window with one conditional update; deliveries that do not fit
go back to the database for the next second instead of a worker sleeping on
them.  The row is made by the first reservation that finds none (a limited
endpoint's first batch, or its first since the upgrade): not with the
endpoint, so an endpoint without a limit never has one for this, and no
write path of an endpoint has to know about it.
"""

import time
from collections import defaultdict

from django.db import transaction
from django.db.models import Case, F, Value, When

from delivery.models import EndpointState


def reserve(endpoint_id, limit, wanted, second):
    """How many of ``wanted`` requests may go to the endpoint in this ``second``."""
    with transaction.atomic():
        if not _count_in(endpoint_id, wanted, second):
            EndpointState.objects.bulk_create([EndpointState(endpoint_id=endpoint_id)], ignore_conflicts=True)
            _count_in(endpoint_id, wanted, second)
        count = EndpointState.objects.filter(pk=endpoint_id).values_list("rate_count", flat=True).first() or 0
    used_before = count - wanted
    return max(0, min(wanted, limit - used_before))


def _count_in(endpoint_id, wanted, second):
    """Add ``wanted`` to the endpoint's window for ``second`` (a new window starts at it); False if no row."""
    return EndpointState.objects.filter(pk=endpoint_id).update(
        rate_count=Case(When(rate_window=second, then=F("rate_count") + wanted), default=Value(wanted)),
        rate_window=second,
    )


def admit(deliveries, now=None):
    """Split deliveries into those that may be sent now and those over their endpoint's limit."""
    second = int(now if now is not None else time.time())
    limited = defaultdict(list)
    admitted = []
    for delivery in deliveries:
        if delivery.endpoint.rate_limit:
            limited[delivery.endpoint_id].append(delivery)
        else:
            admitted.append(delivery)
    held = []
    for endpoint_id, group in limited.items():
        allowed = reserve(endpoint_id, group[0].endpoint.rate_limit, len(group), second)
        admitted.extend(group[:allowed])
        held.extend(group[allowed:])
    return admitted, held
