"""Signals a host can listen to.

- ``delivery_succeeded(delivery, attempt)``: a delivery got its 2xx.
- ``delivery_exhausted(delivery)``: a delivery used its last attempt and failed.
- ``endpoint_disabled(endpoint, reason)``: an endpoint was disabled, by hand or automatically.
- ``endpoint_enabled(endpoint)``: an endpoint was enabled again.

They are sent with ``fire`` once the state change is written: a host
receiver that raises is logged and never stops the other receivers, the
recording of other deliveries or an API call.  The endpoint's signals are
defined with the endpoint, in ``subscriptions.signals``.
"""

from django.dispatch import Signal

from subscriptions.signals import endpoint_disabled, endpoint_enabled, fire

__all__ = ["delivery_exhausted", "delivery_succeeded", "endpoint_disabled", "endpoint_enabled", "fire"]

delivery_succeeded = Signal()
delivery_exhausted = Signal()
