"""Handing work to the broker.

The broker only carries work; the database holds the truth.  So a failed
hand-off is logged and dropped: the dispatcher finds the event or the lapsed
lease in the database and hands it over again.
"""

import logging

from kombu import pools

logger = logging.getLogger("delivery.handoff")


def _fail_fast_connections(app):
    """Pooled broker connections that give up at the first refused connect.

    Celery's own producer connections retry for several seconds before they
    fail, which would stall every ``publish`` (and the caller's request) for
    that long during a broker outage.  A hand-off need not wait: the
    dispatcher finds the work in the database.
    """
    options = {**(app.conf.broker_transport_options or {}), "max_retries": 0}
    return pools.connections[app.connection_for_write(transport_options=options)]


def _apply(task, args, what):
    try:
        with _fail_fast_connections(task.app).acquire(block=True, timeout=5) as connection:
            task.apply_async(args, retry=False, connection=connection)
        return True
    except Exception as exc:  # the broker is down or unreachable
        logger.warning("broker unavailable, %s left to the dispatcher: %s: %s",
                       what, type(exc).__name__, exc)
        return False


def enqueue_fan_out(event_id):
    from delivery.tasks import fan_out_event

    return _apply(fan_out_event, (event_id,), f"event_id={event_id}")


def enqueue_batch(delivery_ids, token, trigger="scheduled"):
    from delivery.tasks import send_batch

    return _apply(send_batch, (list(delivery_ids), token, trigger),
                  f"{len(delivery_ids)} deliveries")
