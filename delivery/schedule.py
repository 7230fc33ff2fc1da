"""The dispatcher's beat entry, added to whichever Celery app runs the host.

A host adds the apps and runs ``celery beat``; it writes no schedule of its
own.  An entry the host did write under the same name wins.
"""

from delivery import conf

ENTRY = "webhooks-dispatch"


def install(app=None):
    if app is None:
        from celery import current_app as app
    interval = conf.get().dispatch_interval
    app.conf.beat_schedule = {
        ENTRY: {"task": "delivery.dispatch", "schedule": interval,
                "options": {"expires": max(5.0, interval * 5)}},
        **(app.conf.beat_schedule or {}),
    }
