"""Parking: a disabled endpoint's waiting deliveries are kept with no time set; enabling it makes them due now.

Heard from ``subscriptions.signals`` inside the transaction that disables or
enables the endpoint, so the deliveries move with it or not at all.
"""

from delivery import states
from subscriptions.signals import endpoint_disabling, endpoint_enabling


def _park(sender, endpoint, **kwargs):
    states.park(endpoint.pk)


def _unpark(sender, endpoint, **kwargs):
    states.unpark(endpoint.pk)


def connect():
    endpoint_disabling.connect(_park, dispatch_uid="delivery-park")
    endpoint_enabling.connect(_unpark, dispatch_uid="delivery-unpark")
