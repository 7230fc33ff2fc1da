"""Celery tasks: load by id, call the domain function, return.

They are shared tasks on the default queue, so a host's own Celery app runs
them with no routing of its own; the beat entries and the worker's
adaptations are in ``delivery.broker``.
"""

from functools import partial

from celery import shared_task

from delivery import dispatcher, fanout, lines, retention, sending, tracing
from delivery.handoff import fan_out_request

# This worker process's fan-outs learn from each other how many events fit in a batch.
_deliveries_per_event = fanout.DeliveriesPerEvent()


@shared_task(name="delivery.fan_out_event", acks_late=True, ignore_result=True)
@tracing.task_span("webhooks fan-out", linked=True)
def fan_out_event(event_id=None):
    """Fan out ``event_id`` and other waiting events; without an id, answer a fan-out request."""
    return fan_out_request.answer(event_id, partial(fanout.fan_out_and_send, per_event=_deliveries_per_event))


@shared_task(name="delivery.send_batch", acks_late=True, ignore_result=True)
@tracing.task_span("webhooks send batch")
def send_batch(delivery_ids, token, trigger="scheduled"):
    return lines.carrying_on(sending.deliver_batch, sending.send_claimed, delivery_ids, token, trigger)


@shared_task(name="delivery.dispatch", ignore_result=True)
def dispatch():
    dispatcher.dispatch()


@shared_task(name="delivery.purge", ignore_result=True)
def purge():
    retention.purge_expired()
