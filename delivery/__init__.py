"""Events, fan-out, signing, sending, retries and the attempt log.

``from delivery import publish`` (and ``publish_many``) is the embedding API's main verb; it loads
lazily so that importing the package before Django is ready is harmless.
"""

from subscriptions.lazy import lazy_exports

_EXPORTS = {
    "publish": "delivery.publishing",
    "publish_many": "delivery.bulk_publishing",
    "retry_delivery": "delivery.operations",
    "recover_endpoint": "delivery.operations",
    "cancel_delivery": "delivery.operations",
    "send_test_event": "delivery.operations",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
