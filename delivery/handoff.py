"""Handing work to the broker.

The broker only carries work; the database holds the truth.  So a failed
hand-off is logged and dropped: the dispatcher finds the event or the lapsed
lease in the database and hands it over again.

Fan-outs are requested, not sent per event.  A fan-out task takes every
event that waits (up to a batch), so with a Redis broker one request stands
for all events published until a worker takes it up: ``publish`` sets a key
with NX (about 0.1 ms) and only the first publish after each take-up sends a
task.  Other brokers get one task per event; each takes the waiting events
along too.
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
    conf = app.conf
    # Building the connection that names the pool costs ~0.3 ms: once per app and broker.
    key = (id(app), conf.broker_write_url, conf.broker_url, repr(conf.broker_transport_options))
    connection = _pool_keys.get(key)
    if connection is None:
        options = {**(conf.broker_transport_options or {}), "max_retries": 0}
        connection = _pool_keys[key] = app.connection_for_write(transport_options=options)
    return pools.connections[connection]


_pool_keys = {}


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


def _with_broker(action, what):
    """``action(app, connection)`` on a pooled fail-fast broker connection; False (logged) if the broker fails."""
    app = celery_app()
    try:
        with _fail_fast_connections(app).acquire(block=True, timeout=5) as connection:
            action(app, connection)
        return True
    except Exception as exc:  # the broker is down or unreachable
        logger.warning("broker unavailable, %s left to the dispatcher: %s: %s",
                       what, type(exc).__name__, exc)
        return False


# How long a fan-out request stands without a worker taking it up; then the next publish asks again.
FAN_OUT_REQUEST_SECONDS = 10


def _fan_out_request_key(app):
    return f"hookplatform:fan-out-requested:{app.conf.task_default_queue}"


def _redis(connection):
    """The broker's Redis client, or None when the broker is not Redis."""
    return connection.default_channel.client if connection.transport.driver_type == "redis" else None


def enqueue_fan_out(event_id=None):
    """Ask a worker to fan out the waiting events (``event_id`` among them, if given)."""

    def ask(app, connection):
        redis = _redis(connection)
        if redis is None:
            app.send_task("delivery.fan_out_event", (event_id,), retry=False, connection=connection)
            return
        key = _fan_out_request_key(app)
        if not redis.set(key, event_id or "", nx=True, ex=FAN_OUT_REQUEST_SECONDS):
            return  # asked already: the worker that takes it up finds this event too
        try:
            app.send_task("delivery.fan_out_event", (None,), retry=False, connection=connection)
        except Exception:
            redis.delete(key)
            raise

    return _with_broker(ask, f"fan-out of event_id={event_id}")


def take_fan_out_request():
    """A worker takes up the fan-out request: events published from now on ask again.

    Called before the worker looks for waiting events, so an event committed
    before its publish found the request standing is always seen.  If the
    broker fails here, the request lapses by itself and the dispatcher asks again.
    """

    def take(app, connection):
        redis = _redis(connection)
        if redis is not None:
            redis.delete(_fan_out_request_key(app))

    _with_broker(take, "taking down the fan-out request")


def enqueue_batch(delivery_ids, token, trigger="scheduled"):
    """Hand a claimed batch to a worker."""

    def send(app, connection):
        app.send_task("delivery.send_batch", (list(delivery_ids), token, trigger), retry=False,
                      connection=connection)

    return _with_broker(send, f"{len(delivery_ids)} deliveries")
