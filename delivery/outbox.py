"""Writing events into the outbox: one statement for one event, one for many.

A single ``publish`` is one ``INSERT … SELECT`` that finds the tenant by its
id and checks, in the same statement, that the event type is still the one
it was validated against (same ``updated_at``, not archived).  So the usual
publish costs one round trip to the database, with no lookup before it; a
statement that writes nothing (a new tenant, a changed type, a used
idempotency key) tells ``publish`` to take the slower path that explains why.
"""

import functools

from django.db import connections, router

from delivery import bulk_insert, sql_names
from delivery.models import Event
from subscriptions.models import EventType, Tenant

FAST_VENDORS = ("postgresql", "sqlite")  # INSERT … SELECT … ON CONFLICT … RETURNING as written below


COLUMNS = ("id", "event_type", "body", "idempotency_key", "occurred_at", "created_at", "traceparent")


def insert_checked(event, known, tenant):
    """Insert ``event`` where ``tenant`` (a uid or a Tenant) exists and ``known`` is still the live type.

    Returns the tenant's primary key, or None when nothing was written.  An
    event with an idempotency key already in use writes nothing either.
    """
    alias = router.db_for_write(Event)
    connection = connections[alias]
    if connection.vendor not in FAST_VENDORS:
        return None
    by_uid = not isinstance(tenant, Tenant)
    sql, event_preps, updated_at_prep = _statement(alias, by_uid, event.idempotency_key is not None)
    params = [prep(getattr(event, name), connection) for name, prep in event_preps]
    params += [tenant if by_uid else tenant.pk, known.name, updated_at_prep(known.updated_at, connection)]
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    event._state.adding, event._state.db = False, alias
    return row[0]


@functools.lru_cache(maxsize=16)
def _statement(alias, by_uid, keyed):
    """The statement (written once per database and shape) and how each of its values is converted."""
    def column(model, name):
        return sql_names.column(model, alias, name)

    def table(model):
        return sql_names.table(model, alias)

    tenant_match = f"t.{column(Tenant, 'uid' if by_uid else 'id')}"
    conflict = ""
    if keyed:
        conflict = (f" ON CONFLICT ({column(Event, 'tenant')}, {column(Event, 'idempotency_key')})"
                    f" WHERE {column(Event, 'idempotency_key')} IS NOT NULL DO NOTHING")
    sql = (
        f"INSERT INTO {table(Event)} "
        f"({', '.join(column(Event, name) for name in COLUMNS)}, {column(Event, 'tenant')}) "
        f"SELECT {', '.join(['%s'] * len(COLUMNS))}, t.{column(Tenant, Tenant._meta.pk.name)} "
        f"FROM {table(Tenant)} t, {table(EventType)} et "
        f"WHERE {tenant_match} = %s AND et.{column(EventType, 'name')} = %s "
        f"AND et.{column(EventType, 'updated_at')} = %s AND NOT et.{column(EventType, 'archived')}"
        f"{conflict} RETURNING {column(Event, 'tenant')}"
    )
    event_preps = [(name, Event._meta.get_field(name).get_db_prep_save) for name in COLUMNS]
    return sql, event_preps, EventType._meta.get_field("updated_at").get_db_prep_save


def _cursor(connection):
    """On PostgreSQL a cursor that sends the values apart from the statement: Django's own would quote the
    body into the SQL text for the server to parse again.  (Django turns off prepared statements by
    default, so this is no concern for a connection pooler.)"""
    if connection.vendor == "postgresql":
        return bulk_insert.server_binding_cursor(connection)
    return connection.cursor()
