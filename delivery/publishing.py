"""``publish``: the one call a host makes when something happens."""

import json
from datetime import timedelta

import jsonschema
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from referencing.exceptions import Unresolvable

from delivery import outbox, tracing, type_cache
from delivery.handoff import fan_out_request
from delivery.models import Event
from delivery.type_cache import NO_RETRIEVAL
from delivery.wire import render_body
from subscriptions import conf
from subscriptions.models import Tenant
from subscriptions.tenants import resolve_tenant
from subscriptions.validation import validate_tenant_uid

# Which argument a refusal's code is about (the API's 400s and ``publish_many``'s messages name it).
FIELD_OF = {
    "unknown_event_type": "event_type",
    "archived_event_type": "event_type",
    "invalid_event_type": "event_type",
    "invalid_data": "data",
    "schema_mismatch": "data",
    "invalid_schema": "data",
    "too_large": "data",
    "invalid": "idempotency_key",
}


def _validator(event_type):
    known = getattr(event_type, "validator", None)  # a type_cache entry keeps its validator
    if known is not None:
        return known
    return jsonschema.validators.validator_for(event_type.schema)(event_type.schema, registry=NO_RETRIEVAL)


def _check_schema(event_type, body):
    if not event_type.schema:
        return
    data = json.loads(body)["data"]
    validator = _validator(event_type)
    try:
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    except Unresolvable as exc:
        raise ValidationError(
            f"The schema of {event_type.name!r} refers to {exc.ref!r}, which is not inside the schema; "
            "only local references ('#/...') are resolved.", code="invalid_schema")
    except RecursionError:  # a schema that refers to itself, over deep data
        raise ValidationError(f"data is nested too deeply to check against the schema of {event_type.name!r}.",
                              code="schema_mismatch")
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise ValidationError(
            f"data does not match the schema of {event_type.name!r} at {where}: {error.message}",
            code="schema_mismatch",
        )


def check_body(type_entry, body):
    """What every event body must pass, published or sent as a test: the size limit, then the schema."""
    limit = conf.get().max_payload_bytes
    if len(body.encode()) > limit:
        raise ValidationError(f"The payload is over the limit of {limit} bytes.", code="too_large")
    _check_schema(type_entry, body)


@tracing.publish_span
def publish(event_type, data, *, tenant, idempotency_key=None, occurred_at=None):
    """Record an event for every matching endpoint of ``tenant``; returns the ``Event``.

    Runs in the caller's transaction as one insert (the outbox row), whatever
    the number of endpoints.  The event is handed to the workers only when that
    transaction commits, so nothing is sent for a rollback; if the broker is
    down then, the dispatcher finds the row and delivers it later.  The same
    ``idempotency_key`` for the same tenant within the idempotency window
    returns the first event and sends nothing new.

    The usual call is one statement: the event type comes from this process's
    ``type_cache`` and the INSERT itself checks it is still current and finds
    the tenant (``delivery.outbox``); anything else takes the path that looks
    both up first.
    """
    occurred_at = occurred_at or timezone.now()
    check_key(idempotency_key)
    if isinstance(tenant, str):
        validate_tenant_uid(tenant)
    known = type_cache.known_type(event_type)
    try:
        body = checked_body(known, data, occurred_at)
    except ValidationError:
        body = None  # perhaps against a schema changed since: the looked-up path says for sure
    event = Event(event_type=known.name, body=body, idempotency_key=idempotency_key, occurred_at=occurred_at)
    if body is not None and isinstance(tenant, str | Tenant):
        tenant_id = outbox.insert_checked(event, known, tenant)
        if tenant_id is not None:
            if isinstance(tenant, Tenant):
                event.tenant = tenant
            else:
                event.tenant_id = tenant_id
            _hand_off(event)
            return event
    return _publish_looked_up(event_type, data, tenant=tenant, idempotency_key=idempotency_key,
                              occurred_at=occurred_at)


def checked_body(type_entry, data, occurred_at):
    """The event's body, rendered and checked (size, schema)."""
    body = render_body(type_entry.name, data, occurred_at)
    check_body(type_entry, body)
    return body


def check_key(idempotency_key):
    """An idempotency key is a string of 1 to 255 characters without NUL (code "invalid")."""
    if idempotency_key is not None and (not isinstance(idempotency_key, str) or "\x00" in idempotency_key
                                        or not 1 <= len(idempotency_key) <= 255):
        raise ValidationError("idempotency_key must be a string of 1 to 255 characters, without NUL.",
                              code="invalid")


def _hand_off(event):
    transaction.on_commit(lambda: fan_out_request.ask(event.id))


def _publish_looked_up(event_type, data, *, tenant, idempotency_key, occurred_at):
    """``publish`` with the event type and tenant read first: a new tenant, a changed type, a used key."""
    settings = conf.get()
    type_cache.forget(event_type)
    type_entry = type_cache.known_type(event_type)  # read again, and remembered as it is now
    body = checked_body(type_entry, data, occurred_at)
    tenant = resolve_tenant(tenant)
    event = Event(tenant=tenant, event_type=type_entry.name, body=body,
                  idempotency_key=idempotency_key, occurred_at=occurred_at)
    if idempotency_key is None:
        event.save(force_insert=True)
    else:
        first = _insert_once(event, settings.idempotency_window)
        if first is not event:
            return first
    _hand_off(event)
    return event


def _insert_once(event, window):
    """Insert ``event`` unless its key was used within ``window`` seconds; then return that event."""
    for _ in range(2):
        try:
            with transaction.atomic():
                event.save(force_insert=True)
            return event
        except IntegrityError:
            first = Event.objects.filter(tenant=event.tenant,
                                         idempotency_key=event.idempotency_key).first()
            if first is None:  # the holder was deleted meanwhile
                continue
            if first.created_at >= timezone.now() - timedelta(seconds=window):
                return first
            # The key's window is over: the old event lets go of it.
            Event.objects.filter(pk=first.pk).update(idempotency_key=None)
    raise ValidationError("Could not record the event; please retry.", code="conflict")
