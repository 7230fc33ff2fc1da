"""Does an endpoint's event-type filter match an event type?"""


def matches(filters, event_type):
    """Exact names, ``prefix.*`` patterns (any depth below the prefix), empty = all."""
    if not filters:
        return True
    for item in filters:
        if item == event_type:
            return True
        if item.endswith(".*") and event_type.startswith(item[:-1]):
            return True
    return False
