"""Handing work to the broker.

The broker only carries work; the database holds the truth.  So a failed
hand-off is logged and dropped: the dispatcher finds the event or the lapsed
lease in the database and hands it over again.
"""

import logging

from celery import _state
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


def celery_app():
    """The host's (or the standalone project's) Celery app, from any thread.

    Celery's "current app" is per thread: a request thread of a threaded web
    server, or one of our sending threads, would get Celery's unconfigured
    fallback app and hand work to a broker that is not there.  So: the
    process's default app if one was set (the standalone project sets it),
    else this thread's app, else the first app the process configured.
    """
    for app in (_state.default_app, _state._tls.current_app):
        if app is not None and app.main != "default":
            return app
    configured = [a for a in list(_state._get_active_apps()) if a.main != "default"]
    return configured[0] if configured else _state.get_current_app()


def _apply(task_name, args, what):
    app = celery_app()
    try:
        with _fail_fast_connections(app).acquire(block=True, timeout=5) as connection:
            app.send_task(task_name, args, retry=False, connection=connection)
        return True
    except Exception as exc:  # the broker is down or unreachable
        logger.warning("broker unavailable, %s left to the dispatcher: %s: %s",
                       what, type(exc).__name__, exc)
        return False


def enqueue_fan_out(event_id):
    return _apply("delivery.fan_out_event", (event_id,), f"event_id={event_id}")


def enqueue_batch(delivery_ids, token, trigger="scheduled"):
    return _apply("delivery.send_batch", (list(delivery_ids), token, trigger), f"{len(delivery_ids)} deliveries")
