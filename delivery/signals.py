"""Signals a host can listen to.

- ``delivery_succeeded(delivery, attempt)``: a delivery got its 2xx.
- ``delivery_exhausted(delivery)``: a delivery used its last attempt and failed.
- ``endpoint_disabled(endpoint, reason)``: an endpoint was disabled, by hand or automatically.
"""

from django.dispatch import Signal

delivery_succeeded = Signal()
delivery_exhausted = Signal()
endpoint_disabled = Signal()
