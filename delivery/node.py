"""Which worker node this process belongs to: the name its leases carry (``Delivery.lease_node``).

A node is one start of a Celery worker (its main process and pool
children): the worker's name and a token of this start, so that a node
restarted under the same name (``celery@host``) is a new node and its
predecessor's leases are still seen as orphaned.  Outside a worker it is
empty: nothing is released for it but by its lease's time.
"""

import uuid

_name = ""


def name():
    return _name


def become(worker_name):
    """Called once in a worker's main process, before its pool forks (children inherit it)."""
    global _name
    _name = f"{worker_name[:200]}#{uuid.uuid4().hex[:12]}"
    return _name
