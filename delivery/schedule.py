"""The dispatcher's beat entry, added to whichever Celery app runs the host.

A host adds the apps and runs ``celery beat``; it writes no schedule of its
own.  An entry the host did write under the same name wins.
"""

from subscriptions import conf

ENTRY = "webhooks-dispatch"
PURGE_ENTRY = "webhooks-purge"
PURGE_INTERVAL = 3600


def install(app=None):
    if app is None:
        from celery import current_app as app
    settings = conf.get()
    interval = settings.dispatch_interval
    entries = {ENTRY: {"task": "delivery.dispatch", "schedule": interval,
                       "options": {"expires": max(5.0, interval * 5)}}}
    if settings.retention is not None:
        # Hourly, each run bounded in time (delivery.retention.purge_expired).
        entries[PURGE_ENTRY] = {"task": "delivery.purge", "schedule": PURGE_INTERVAL,
                                "options": {"expires": PURGE_INTERVAL}}
    app.conf.beat_schedule = {**entries, **(app.conf.beat_schedule or {})}
