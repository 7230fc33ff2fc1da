"""Writing events into the outbox: one statement for one event, one for many.

A single ``publish`` is one ``INSERT … SELECT`` that finds the tenant by its
id and checks, in the same statement, that the event type is still the one
it was validated against (same ``updated_at``, not archived).  So the usual
publish costs one round trip to the database, with no lookup before it; a
statement that writes nothing (a new tenant, a changed type, a used
idempotency key) tells ``publish`` to take the slower path that explains why.
"""

from django.db import connections, router

from delivery.models import Event
from subscriptions.models import EventType, Tenant

FAST_VENDORS = ("postgresql", "sqlite")  # INSERT … SELECT … ON CONFLICT … RETURNING as written below


def _column(model, name):
    return model._meta.get_field(name).column


def _prep(model, name, value, connection):
    return model._meta.get_field(name).get_db_prep_save(value, connection)


def insert_checked(event, known, tenant):
    """Insert ``event`` where ``tenant`` (a uid or a Tenant) exists and ``known`` is still the live type.

    Returns the tenant's primary key, or None when nothing was written.  An
    event with an idempotency key already in use writes nothing either.
    """
    alias = router.db_for_write(Event)
    connection = connections[alias]
    if connection.vendor not in FAST_VENDORS:
        return None
    quote = connection.ops.quote_name
    by_uid = not isinstance(tenant, Tenant)
    tenant_match = f"t.{quote(_column(Tenant, 'uid' if by_uid else 'id'))}"
    columns = ("id", "event_type", "body", "idempotency_key", "occurred_at", "created_at", "traceparent")
    values = [_prep(Event, name, getattr(event, name), connection) for name in columns]
    conflict = ""
    if event.idempotency_key is not None:
        conflict = (f" ON CONFLICT ({quote(_column(Event, 'tenant'))}, {quote(_column(Event, 'idempotency_key'))})"
                    f" WHERE {quote(_column(Event, 'idempotency_key'))} IS NOT NULL DO NOTHING")
    sql = (
        f"INSERT INTO {quote(Event._meta.db_table)} "
        f"({', '.join(quote(_column(Event, name)) for name in columns)}, {quote(_column(Event, 'tenant'))}) "
        f"SELECT {', '.join(['%s'] * len(columns))}, t.{quote(Tenant._meta.pk.column)} "
        f"FROM {quote(Tenant._meta.db_table)} t, {quote(EventType._meta.db_table)} et "
        f"WHERE {tenant_match} = %s AND et.{quote(_column(EventType, 'name'))} = %s "
        f"AND et.{quote(_column(EventType, 'updated_at'))} = %s AND NOT et.{quote(_column(EventType, 'archived'))}"
        f"{conflict} RETURNING {quote(_column(Event, 'tenant'))}"
    )
    params = values + [tenant if by_uid else tenant.pk, known.name,
                       _prep(EventType, "updated_at", known.updated_at, connection)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    event._state.adding, event._state.db = False, alias
    return row[0]
