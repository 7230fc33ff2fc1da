"""The event types this process publishes, remembered between calls.

An event type's schema and ``archived`` flag can change at any time, from
any process, so an entry is only a guess: ``publish`` validates against it
and its INSERT writes the row only where the type still has the remembered
``updated_at`` and is not archived (``delivery.outbox``).  An INSERT that
writes nothing drops the entry and ``publish`` starts over from the
database, so a changed schema is always the one checked.
"""

from dataclasses import dataclass
from functools import cached_property

import jsonschema
from referencing import Registry

from subscriptions.event_types import live_event_type

# Schemas resolve only references inside themselves: an empty registry never retrieves anything
# (jsonschema's default would fetch a remote or file $ref with urlopen: SSRF past the platform's guard).
NO_RETRIEVAL = Registry()
MAX_ENTRIES = 1000


@dataclass(frozen=True)
class KnownType:
    name: str
    schema: object
    updated_at: object

    @cached_property
    def validator(self):
        """The schema's validator, built once per entry (building it costs more than most checks)."""
        return jsonschema.validators.validator_for(self.schema)(self.schema, registry=NO_RETRIEVAL)


_known = {}


def known_type(name):
    """The live event type ``name`` as last seen (read from the database when not remembered)."""
    entry = _known.get(name) if isinstance(name, str) else None
    if entry is None:
        found = live_event_type(name)  # raises for an unknown or archived type
        entry = KnownType(found.name, found.schema, found.updated_at)
        if len(_known) >= MAX_ENTRIES:
            _known.clear()
        _known[found.name] = entry
    return entry


def forget(name):
    """Drop a stale entry: its type changed, was archived or deleted."""
    if isinstance(name, str):
        _known.pop(name, None)


def forget_all():
    _known.clear()
