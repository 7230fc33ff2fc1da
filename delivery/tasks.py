"""Celery tasks: load by id, call the domain function, return.

They are shared tasks on the default queue, so a host's own Celery app runs
them with no routing of its own; the dispatcher's beat entry is added when
the ``delivery`` app is ready.
"""

from celery import shared_task

from delivery import deliver, dispatcher, retention


@shared_task(name="delivery.fan_out_event", acks_late=True, ignore_result=True)
def fan_out_event(event_id):
    return deliver.fan_out_and_send(event_id)


@shared_task(name="delivery.send_batch", acks_late=True, ignore_result=True)
def send_batch(delivery_ids, token, trigger="scheduled"):
    return deliver.deliver_batch(delivery_ids, token, trigger)


@shared_task(name="delivery.dispatch", ignore_result=True)
def dispatch():
    dispatcher.dispatch()


@shared_task(name="delivery.purge", ignore_result=True)
def purge():
    retention.purge_expired()
