"""An endpoint's signals: defined here, at the ground floor, and heard by the apps above.

For hosts (``delivery.signals`` re-exports them), sent with ``fire`` once
the change is committed:

- ``endpoint_disabled(endpoint, reason)``: by hand, on ``410 Gone``, or after a long failure streak;
- ``endpoint_enabled(endpoint)``: sending to it resumes.

Inside the changing transaction, sent plainly, for the apps that keep their
own rows in step (``delivery`` parks and unparks the endpoint's waiting
deliveries, and restarts its failure streak on enable): a receiver's writes commit or roll back with the change, and
one that raises fails it.

- ``endpoint_disabling(endpoint)`` and ``endpoint_enabling(endpoint)``;
- ``endpoint_unordered(endpoint)``: ``ordered`` was turned off; the deliveries
  that waited in its line become due now.
"""

import logging

from django.dispatch import Signal

# The logger hosts are told about (README, "Signals"): every robust signal of the platform logs here.
logger = logging.getLogger("delivery.signals")

endpoint_disabled = Signal()
endpoint_enabled = Signal()
endpoint_disabling = Signal()
endpoint_enabling = Signal()
endpoint_unordered = Signal()


def fire(signal, sender, **kwargs):
    """``send_robust``, logging every receiver that raised."""
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error("signal receiver %s raised", getattr(receiver, "__qualname__", receiver),
                         exc_info=(type(result), result, result.__traceback__))
