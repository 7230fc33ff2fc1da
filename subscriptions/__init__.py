"""Who wants what: tenants, event types, endpoints and their secrets.

The public verbs are importable from here (``from subscriptions import
create_endpoint``); they load lazily so that importing the package before
Django is ready is harmless.
"""

from subscriptions.lazy import lazy_exports

_EXPORTS = {
    "ensure_event_type": "subscriptions.event_types",
    "create_event_type": "subscriptions.event_types",
    "archive_event_type": "subscriptions.event_types",
    "create_endpoint": "subscriptions.endpoints",
    "update_endpoint": "subscriptions.endpoints",
    "disable_endpoint": "subscriptions.endpoints",
    "enable_endpoint": "subscriptions.endpoints",
    "delete_endpoint": "subscriptions.endpoints",
    "reveal_secret": "subscriptions.secrets",
    "rotate_secret": "subscriptions.secrets",
    "resolve_tenant": "subscriptions.tenants",
    "create_tenant": "subscriptions.tenants",
    "create_api_key": "subscriptions.api_keys",
    "revoke_api_key": "subscriptions.api_keys",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
