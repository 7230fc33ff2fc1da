"""What we do to Celery and kombu, and why: every adaptation in one place.

- ``celery_app()``: the host's app from any thread (Celery's current app is per thread).
- ``fail_fast_connections()``: producer connections that give up at once when the broker is down.
- ``add_beat_entries()``: the dispatcher's and the purge's beat entries, so a host writes no
  schedule; added to the schedule of a starting beat (``beat_init``), never in a web process.
- In worker processes only (``worker_init``): a usable database connection before each of our
  tasks, and the kombu fix that keeps a worker alive when its Redis broker goes away.

Nothing here patches or configures anything in a web process.
"""

import logging
from dataclasses import dataclass

from celery import current_app
from celery.signals import beat_init, celeryd_after_setup, task_prerun, worker_init, worker_ready, worker_shutdown
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from kombu import Connection, pools
from kombu import __version__ as kombu_version

from subscriptions import conf

logger = logging.getLogger("delivery.broker")

FALLBACK_APP = "default"  # the name of the unconfigured app Celery makes for a thread without one
_configured_app = None


def celery_app():
    """The host's (or the standalone project's) Celery app, from any thread.

    Celery's current app is this thread's, else the process's default app. A
    host that does not call ``app.set_default()`` (the standalone project
    does) leaves other threads (a threaded web server's, our sending
    threads) with Celery's unconfigured fallback, which would hand work to a
    broker that is not there. So the first configured app met is kept and
    answered there instead; ``delivery``'s ``ready()`` meets it in the thread
    that loaded the settings, where the host's app was created. Upstream:
    https://github.com/celery/celery/issues/3071 (the current app is thread-local by design).
    Public API only (``celery.current_app``), so no version guard.
    """
    global _configured_app
    app = current_app._get_current_object()
    if app.main != FALLBACK_APP:
        _configured_app = _configured_app or app
        return app
    return _configured_app or app


@dataclass(frozen=True)
class HandOffSettings:
    """What a hand-off reads of Celery's configuration."""

    write_url: str
    url: str
    transport_options: str  # repr(): a dict changed in place names another pool
    default_queue: str


_hand_off_settings = {}  # id(app) -> (its configuration object, a copy of its changes, HandOffSettings)


def hand_off_settings(app):
    """``app``'s ``HandOffSettings``, read again only when its configuration changed.

    Each of Celery's configuration lookups costs microseconds (a chain of
    maps and key aliases), and every ``publish`` hands off.  A change made
    through ``app.conf`` (an assignment, ``update``) lands in its ``changes``,
    and a new configuration is a new object: both are seen at the next call.
    """
    conf_ = app.conf
    kept = _hand_off_settings.get(id(app))
    if kept is None or kept[0] is not conf_ or kept[1] != conf_.changes:
        read = HandOffSettings(write_url=conf_.broker_write_url, url=conf_.broker_url,
                               transport_options=repr(conf_.broker_transport_options),
                               default_queue=conf_.task_default_queue)
        kept = _hand_off_settings[id(app)] = (conf_, dict(conf_.changes), read)
    return kept[2]


_pool_keys = {}


def fail_fast_connections(app):
    """Pooled broker connections that give up at the first refused connect.

    Celery's own producer connections retry for several seconds before they
    fail, which would stall every ``publish`` (and the caller's request) for
    that long during a broker outage. A hand-off need not wait: the
    dispatcher finds the work in the database. Upstream:
    https://github.com/celery/celery/issues/4296 (``retry=False`` does not stop the
    connection's own retries). Public API only (``max_retries`` transport option).
    """
    settings = hand_off_settings(app)
    # Building the connection that names the pool is not free: once per app and broker.
    key = (id(app), settings.write_url, settings.url, settings.transport_options)
    connection = _pool_keys.get(key)
    if connection is None:
        options = {**(app.conf.broker_transport_options or {}), "max_retries": 0}
        connection = _pool_keys[key] = app.connection_for_write(transport_options=options)
    return pools.connections[connection]


DISPATCH_ENTRY = "webhooks-dispatch"
PURGE_ENTRY = "webhooks-purge"
PURGE_INTERVAL = 3600


def beat_entries():
    """The dispatcher's (and the purge's) beat entries; none while a setting is refused (the check says why)."""
    try:
        settings = conf.get()
    except ImproperlyConfigured:
        return {}  # a refused WEBHOOKS_* value: the system check (subscriptions.E003) names it at start-up
    interval = settings.dispatch_interval
    entries = {DISPATCH_ENTRY: {"task": "delivery.dispatch", "schedule": interval,
                                "options": {"expires": max(5.0, interval * 5)}}}
    if settings.retention is not None:
        # Hourly, each run bounded in time (delivery.retention.purge_expired).
        entries[PURGE_ENTRY] = {"task": "delivery.purge", "schedule": PURGE_INTERVAL,
                                "options": {"expires": PURGE_INTERVAL}}
    return entries


@beat_init.connect
def add_beat_entries(sender=None, **kwargs):
    """Add our entries to the schedule of the beat that is starting (alone, or inside a worker).

    A host adds the apps and runs ``celery beat``; it writes no schedule of its
    own, and an entry it did write under the same name wins. Added to the
    running scheduler (``Scheduler.update_from_dict``), because beat has read
    its configured schedule before ``beat_init`` is sent; so nothing is written
    into the app's configuration, and a web process is never touched.
    """
    scheduler = sender.scheduler
    scheduler.update_from_dict({name: entry for name, entry in beat_entries().items()
                                if name not in scheduler.schedule})


def meet_configured_app():
    """Called from ``delivery``'s ``ready()``, in the thread that loaded the settings (see ``celery_app``)."""
    celery_app()


def replace_broken_connections(sender=None, **kwargs):
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


# kombu.Connection.collect (kombu/connection.py) as read for this fix; other lines are left alone.
KOMBU_COLLECT_FIXED_FOR = ((5, 0), (5, 7))
_GUARDED = "_hookplatform_guarded"


def _release(version):
    return tuple(int(part) for part in version.split(".")[:2])


def keep_worker_alive_when_redis_goes(version=kombu_version):
    """Work around https://github.com/celery/kombu/issues/582 ("Error on restarting Gossip").

    Celery 5.7's consumer, on losing the broker, first ``collect()``s the
    connection (which drops the transport's client) and then ``close()``s it.
    The Redis channel, half-closed by the first step, is closed again by the
    second, tries to put its unacknowledged messages back through a client
    that no longer exists, and raises ``AttributeError`` ('NoneType' object
    has no attribute 'hostname'): "Unrecoverable error", and the worker exits.
    After ``collect()`` the connection forgets its default channel, so the
    second close has nothing left to do. Nothing is lost: the broker keeps
    unacknowledged messages for their visibility timeout, and the database's
    leases hand every delivery out again anyway.

    Only on the kombu releases this was checked against; on any other the
    patch is left out and a warning asks for the issue to be checked again.
    Returns True when the fix is in place.
    """
    low, high = KOMBU_COLLECT_FIXED_FOR
    if not low <= _release(version) <= high:
        logger.warning("kombu %s: the Connection.collect fix (kombu issue 582) is not applied; "
                       "check whether this release still needs it", version)
        return False
    if getattr(Connection.collect, _GUARDED, False):
        return True
    original = Connection.collect

    def collect(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        finally:
            self._default_channel = None

    setattr(collect, _GUARDED, True)
    Connection.collect = collect
    return True


@worker_init.connect(dispatch_uid="hookplatform.delivery.broker.worker_init")
def adapt_worker(sender=None, **kwargs):
    """The worker-only adaptations, before the worker forks its pool or connects to the broker."""
    keep_worker_alive_when_redis_goes()
    task_prerun.connect(replace_broken_connections, dispatch_uid="hookplatform.delivery.broker.task_prerun")


# Failover (delivery.heartbeat): the node's name before the pool forks, its announcements once ready.
_beat = []


@celeryd_after_setup.connect(dispatch_uid="hookplatform.delivery.broker.node_name")
def name_the_node(sender=None, **kwargs):
    from delivery import node

    node.become(str(sender))


@worker_ready.connect(dispatch_uid="hookplatform.delivery.broker.heartbeat_start")
def start_heartbeat(sender=None, **kwargs):
    from delivery.heartbeat import Beat

    beat = Beat()
    beat.start()
    _beat.append(beat)


@worker_shutdown.connect(dispatch_uid="hookplatform.delivery.broker.heartbeat_stop")
def stop_heartbeat(sender=None, **kwargs):
    while _beat:
        _beat.pop().stop()
