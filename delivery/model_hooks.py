"""Declarative publishing: an event whenever a host's model is created, updated or deleted.

In the host's ``AppConfig.ready()``::

    from delivery.model_hooks import webhook_on

    webhook_on(Order, created="order.created", updated="order.updated", deleted="order.deleted",
               data=OrderSerializer,                  # a DRF serializer class, or a function(instance)
               tenant=lambda order: order.account.uid)

The event is written by ``publish`` in the same transaction as the save or
delete that caused it (a transactional outbox), so it is sent only after that
transaction commits and never for a rolled-back one.  The data is built at
save time, from the instance as it was saved (or just before it was deleted).

Django's model signals drive it, so what skips them skips the hook:
``QuerySet.update()``, ``bulk_create``, ``bulk_update`` and raw SQL publish
nothing, and neither do fixtures being loaded (``raw`` saves).
"""

from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save
from django.forms.models import model_to_dict

_registry = {}


@dataclass(frozen=True)
class ModelHook:
    model: type
    created: str | None
    updated: str | None
    deleted: str | None
    data: object
    tenant: object
    idempotency_key: object
    when: object

    def build_data(self, instance):
        if self.data is None:
            return model_to_dict(instance)
        if isinstance(self.data, type):  # a serializer class: DRF's, or any with ``.data``
            return dict(self.data(instance).data)
        return self.data(instance)

    def publish(self, event_type, instance, action):
        from delivery.publishing import publish

        if event_type is None or (self.when is not None and not self.when(instance, action)):
            return None
        key = self.idempotency_key(instance, action) if self.idempotency_key else None
        return publish(event_type, self.build_data(instance), tenant=self.tenant(instance), idempotency_key=key)


def webhook_on(model, *, tenant, created=None, updated=None, deleted=None, data=None,
               idempotency_key=None, when=None):
    """Publish ``created`` / ``updated`` / ``deleted`` event types for ``model``; returns the hook.

    ``tenant(instance)`` gives the tenant (its uid or object).  ``data`` is a
    serializer class or a function ``data(instance) -> dict``; by default the
    model's fields.  ``when(instance, action)`` (action: ``"created"``,
    ``"updated"``, ``"deleted"``) may veto an event, and
    ``idempotency_key(instance, action)`` give it a key.  Registering a
    model again replaces its hook.
    """
    if not any((created, updated, deleted)):
        raise ValueError("webhook_on needs at least one of created, updated, deleted")
    hook = ModelHook(model, created, updated, deleted, data, tenant, idempotency_key, when)
    _registry[model] = hook
    uid = f"webhooks:{model._meta.label}"
    post_save.connect(_saved, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(_deleted, sender=model, weak=False, dispatch_uid=uid)
    return hook


def unregister(model):
    """Stop publishing for ``model`` (tests, or a host that switches a hook off)."""
    uid = f"webhooks:{model._meta.label}"
    post_save.disconnect(sender=model, dispatch_uid=uid)
    post_delete.disconnect(sender=model, dispatch_uid=uid)
    return _registry.pop(model, None)


def _saved(sender, instance, created, raw=False, **kwargs):
    hook = _registry.get(sender)
    if hook is None or raw:
        return
    if created:
        hook.publish(hook.created, instance, "created")
    else:
        hook.publish(hook.updated, instance, "updated")


def _deleted(sender, instance, **kwargs):
    hook = _registry.get(sender)
    if hook is not None:
        hook.publish(hook.deleted, instance, "deleted")
