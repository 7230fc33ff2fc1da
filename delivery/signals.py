"""Signals a host can listen to.

- ``delivery_succeeded(delivery, attempt)``: a delivery got its 2xx.
- ``delivery_exhausted(delivery)``: a delivery used its last attempt and failed.
- ``endpoint_disabled(endpoint, reason)``: an endpoint was disabled, by hand or automatically.

They are sent with ``fire`` once the state change is written: a host
receiver that raises is logged and never stops the other receivers, the
recording of other deliveries or an API call.
"""

import logging

from django.dispatch import Signal

logger = logging.getLogger("delivery.signals")

delivery_succeeded = Signal()
delivery_exhausted = Signal()
endpoint_disabled = Signal()


def fire(signal, sender, **kwargs):
    """``send_robust``, logging every receiver that raised."""
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error("signal receiver %s raised", getattr(receiver, "__qualname__", receiver),
                         exc_info=(type(result), result, result.__traceback__))
