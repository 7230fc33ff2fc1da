"""Handing work to the broker.

The broker only carries work; the database holds the truth.  So a failed
hand-off is logged and dropped: the dispatcher finds the event or the lapsed
lease in the database and hands it over again.
"""

import logging

from delivery.broker import celery_app, fail_fast_connections, hand_off_settings

logger = logging.getLogger("delivery.handoff")

FAN_OUT_TASK = "delivery.fan_out_event"
SEND_TASK = "delivery.send_batch"


def _with_broker(action, what):
    """``action(app, connection)`` on a pooled fail-fast broker connection; False (logged) if the broker fails."""
    app = celery_app()
    try:
        with fail_fast_connections(app).acquire(block=True, timeout=5) as connection:
            action(app, connection)
        return True
    except Exception as exc:  # the broker is down or unreachable
        logger.warning("broker unavailable, %s left to the dispatcher: %s: %s",
                       what, type(exc).__name__, exc)
        return False


def _redis(connection):
    """The broker's Redis client, or None when the broker is not Redis."""
    return connection.default_channel.client if connection.transport.driver_type == "redis" else None


class FanOutRequest:
    """A request that a worker fan out the events waiting in the outbox.

    A fan-out takes every event that waits (up to a batch), so with a Redis
    broker one standing request (a key set with NX) stands for all events
    published until a worker takes it up: only the first ``ask`` after each
    ``take`` sends a task.  Other brokers get one task per event, which takes
    the waiting events along too.  A request no worker took up lapses after
    ``STANDS_FOR`` seconds; then the next ``ask`` sends a task again.
    """

    STANDS_FOR = 10

    def _key(self, app):
        return f"hookplatform:fan-out-requested:{hand_off_settings(app).default_queue}"

    def ask(self, event_id=None):
        """Ask a worker to fan out the waiting events (``event_id`` among them); False if the broker failed."""

        def ask(app, connection):
            redis = _redis(connection)
            if redis is None:
                app.send_task(FAN_OUT_TASK, (event_id,), retry=False, connection=connection)
                return
            key = self._key(app)
            if not redis.set(key, "1", nx=True, ex=self.STANDS_FOR):
                return  # asked already: the worker that takes it up finds this event too
            try:
                app.send_task(FAN_OUT_TASK, (None,), retry=False, connection=connection)
            except Exception:
                redis.delete(key)
                raise

        return _with_broker(ask, f"fan-out of event_id={event_id}")

    def take(self):
        """A worker takes up the request: events published from now on ask again.

        Taken before the worker looks for waiting events, so an event committed
        before its publish found the request standing is always seen.  If the
        broker fails here, the request lapses by itself and the dispatcher asks again.
        """

        def take(app, connection):
            redis = _redis(connection)
            if redis is not None:
                redis.delete(self._key(app))

        _with_broker(take, "taking down the fan-out request")

    def answer(self, event_id, fan_out):
        """The fan-out task: take the request up (a task sent for one event answers none), then ``fan_out``."""
        if event_id is None:
            self.take()
        return fan_out(event_id)


fan_out_request = FanOutRequest()


def enqueue_batch(delivery_ids, token, trigger="scheduled"):
    """Hand a claimed batch to a worker."""

    def send(app, connection):
        app.send_task(SEND_TASK, (list(delivery_ids), token, trigger), retry=False, connection=connection)

    return _with_broker(send, f"{len(delivery_ids)} deliveries")
