"""What happens to orders.  Webhooks ride along in the same transactions."""

from delivery import publish
from django.db import transaction
from django.utils import timezone

from shop.models import Order


def place_order(account, *, number, total_cents):
    """A new order; its ``order.created`` webhook comes from the model hook (shop/webhooks.py)."""
    with transaction.atomic():
        return Order.objects.create(account=account, number=number, total_cents=total_cents)


def mark_paid(order):
    """Record the payment and publish ``order.paid`` in the same transaction.

    If anything below fails, the payment and the event roll back together:
    no webhook for a payment that was not recorded.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Order.Status.PAID:
            return order
        order.status, order.paid_at = Order.Status.PAID, timezone.now()
        order.save(update_fields=["status", "paid_at"])
        publish("order.paid", {"order": order.number, "total_cents": order.total_cents,
                               "paid_at": order.paid_at},
                tenant=order.account.uid, idempotency_key=f"{order.number}-paid")
    return order
