"""Celery tasks: load by id, call the domain function, return.

They are shared tasks on the default queue, so a host's own Celery app runs
them with no routing of its own; the dispatcher's beat entry is added when
the ``delivery`` app is ready.
"""

from celery import shared_task
from celery.signals import task_prerun
from django.db import connections

from delivery import dispatcher, fanout, handoff, retention, sending


@task_prerun.connect
def _replace_broken_connections(sender=None, **kwargs):
    """Before each of our tasks, drop a database connection the server has closed.

    Workers keep their connections across tasks (``CELERY_DB_REUSE_MAX``), so
    Celery no longer checks them; without this, a database restart or a
    killed backend would fail every later task of that process.
    """
    if sender is None or not sender.name.startswith("delivery."):
        return
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and (connection.errors_occurred or not connection.is_usable()):
            connection.close()


# This worker process's fan-outs learn from each other how many events fit in a batch.
_deliveries_per_event = fanout.DeliveriesPerEvent()


@shared_task(name="delivery.fan_out_event", acks_late=True, ignore_result=True)
def fan_out_event(event_id=None):
    """Fan out ``event_id`` and other waiting events; without an id, answer a fan-out request."""
    if event_id is None:
        handoff.take_fan_out_request()
    return fanout.fan_out_and_send(event_id, _deliveries_per_event)


@shared_task(name="delivery.send_batch", acks_late=True, ignore_result=True)
def send_batch(delivery_ids, token, trigger="scheduled"):
    return sending.deliver_batch(delivery_ids, token, trigger)


@shared_task(name="delivery.dispatch", ignore_result=True)
def dispatch():
    dispatcher.dispatch()


@shared_task(name="delivery.purge", ignore_result=True)
def purge():
    retention.purge_expired()
