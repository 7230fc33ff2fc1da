"""The shop's webhook catalogue and model hooks, installed when the app is ready."""

from delivery.model_hooks import webhook_on
from subscriptions import ensure_event_type

EVENT_TYPES = {
    "order.created": "An order was placed.",
    "order.paid": "An order was paid.",
}


def order_data(order):
    return {"order": order.number, "total_cents": order.total_cents, "status": order.status}


def portal_tenant(request):
    """WEBHOOKS_PORTAL_TENANT: the signed-in owner's account opens its own webhook portal; anyone else gets 403."""
    from shop.models import Account

    if not request.user.is_authenticated:
        return None
    account = Account.objects.filter(owners=request.user).order_by("pk").first()
    return account.uid if account else None


def install_hooks():
    from shop.models import Order

    webhook_on(Order, created="order.created", data=order_data, tenant=lambda order: order.account.uid)


def ensure_event_types(**kwargs):
    """After ``migrate``: the catalogue has the shop's event types (idempotent)."""
    for name, description in EVENT_TYPES.items():
        ensure_event_type(name, description=description)
