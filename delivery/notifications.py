"""Telling people when webhooks stop flowing: email and operational events.

Connected to ``endpoint_disabled`` and ``delivery_exhausted`` when the
``delivery`` app is ready.  ``WEBHOOKS_NOTIFY_EMAIL`` mails the tenant's
``contact_email`` (Django's mail); ``WEBHOOKS_OPERATIONAL_TENANT`` publishes
``endpoint.disabled`` / ``delivery.exhausted`` to that platform-level
tenant's endpoints (your own alerting receiver, Slack bridge, ...).

A notification never breaks the delivery path: failures are logged.  URLs
appear only redacted (``Endpoint.redacted_url``): mail, operational events
(stored as event bodies and sent to another receiver) never carry a password.  Events
about the operational tenant's own endpoints are not published to it again,
so a broken alert receiver cannot feed itself.  Exhaustion mail is sent at
most once per endpoint per hour (through Django's cache), so an endpoint that
is down for a burst of events does not flood an inbox.
"""

import logging

from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction

from delivery.logging import delivery_context
from subscriptions import conf

logger = logging.getLogger("delivery.notifications")

OPERATIONAL_TYPES = {
    "endpoint.disabled": "A webhook endpoint was disabled and receives nothing until it is enabled.",
    "delivery.exhausted": "A webhook delivery failed on its last attempt and will not be retried.",
}
EXHAUSTED_MAIL_EVERY = 3600


def _safely(what, action, **context):
    try:
        action()
    except Exception:  # a notification must never break delivery
        logger.exception("notification failed", extra={"notification": what, **context})


def _mail(tenant, subject, body):
    if tenant.contact_email:
        send_mail(subject, body, None, [tenant.contact_email])


def _publish_operational(event_type, data, *, about_tenant_uid, idempotency_key):
    from delivery.publishing import publish
    from subscriptions.event_types import ensure_event_type

    operational = conf.get().operational_tenant
    if not operational or operational == about_tenant_uid:
        return
    ensure_event_type(event_type, description=OPERATIONAL_TYPES[event_type])
    publish(event_type, data, tenant=operational, idempotency_key=idempotency_key)


def on_endpoint_disabled(sender, endpoint, reason, **kwargs):
    settings = conf.get()
    tenant = endpoint.tenant
    context = {"endpoint_id": endpoint.pk}
    if settings.notify_email:
        _safely("email", lambda: _mail(
            tenant, f"Webhook endpoint disabled: {endpoint.redacted_url}",
            f"Your webhook endpoint {endpoint.redacted_url} ({endpoint.pk}) was disabled.\n\nReason: {reason}\n\n"
            "Deliveries to it are kept and are sent when it is enabled again.",
        ), **context)
    if settings.operational_tenant:
        data = {"tenant": tenant.uid, "endpoint_id": endpoint.pk, "url": endpoint.redacted_url, "reason": reason,
                "disabled_at": endpoint.disabled_at}
        key = f"endpoint.disabled:{endpoint.pk}:{endpoint.disabled_at:%Y%m%dT%H%M%S%f}" if endpoint.disabled_at \
            else None
        _safely("operational event", lambda: _publish_operational(
            "endpoint.disabled", data, about_tenant_uid=tenant.uid, idempotency_key=key), **context)


def on_delivery_exhausted(sender, delivery, **kwargs):
    settings = conf.get()
    context = delivery_context(delivery)
    tenant = delivery.tenant
    if settings.notify_email and cache.add(f"webhooks:exhausted-mail:{delivery.endpoint_id}", 1,
                                           EXHAUSTED_MAIL_EVERY):
        _safely("email", lambda: _mail(
            tenant, f"Webhook delivery failed: {delivery.event.event_type}",
            f"The event {delivery.event_id} ({delivery.event.event_type}) could not be delivered to "
            f"{delivery.endpoint.redacted_url} after {delivery.attempt_count} attempts.\nLast error: "
            f"{delivery.last_error or '-'}\n\nFurther failures to this endpoint within the hour are not mailed.",
        ), **context)
    if settings.operational_tenant:
        data = {"tenant": tenant.uid, "endpoint_id": delivery.endpoint_id, "event_id": delivery.event_id,
                "event_type": delivery.event.event_type, "delivery_id": delivery.pk,
                "attempts": delivery.attempt_count, "last_error": delivery.last_error,
                "last_response_status": delivery.last_response_status}
        _safely("operational event", lambda: _publish_operational(
            "delivery.exhausted", data, about_tenant_uid=tenant.uid,
            idempotency_key=f"delivery.exhausted:{delivery.pk}:{delivery.attempt_count}"), **context)


def _after_commit(receiver):
    """Run the receiver once the sender's transaction (if any) has committed."""

    def deferred(sender, **kwargs):
        transaction.on_commit(lambda: receiver(sender, **kwargs))

    return deferred


def connect():
    from delivery.signals import delivery_exhausted, endpoint_disabled

    endpoint_disabled.connect(_after_commit(on_endpoint_disabled), weak=False,
                              dispatch_uid="webhooks-notify-disabled")
    delivery_exhausted.connect(_after_commit(on_delivery_exhausted), weak=False,
                               dispatch_uid="webhooks-notify-exhausted")
