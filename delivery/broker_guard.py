"""Keep a Celery worker alive when its Redis broker goes away.

Celery 5.7's consumer, on losing the broker, first ``collect()``s the
connection (which drops the transport's client) and then ``close()``s it.
The Redis channel, half-closed by the first step, is closed again by the
second, tries to put its unacknowledged messages back through a client that
no longer exists, and raises ``AttributeError`` ('NoneType' object has no
attribute 'hostname'): "Unrecoverable error", and the worker exits.

After ``collect()`` the connection forgets its default channel, so the
second close has nothing left to do.  Nothing is lost: the broker keeps
unacknowledged messages for their visibility timeout, and the database's
leases hand every delivery out again anyway.
"""

from kombu import Connection

_MARK = "_hookplatform_guarded"


def install():
    if getattr(Connection.collect, _MARK, False):
        return
    original = Connection.collect

    def collect(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        finally:
            self._default_channel = None

    setattr(collect, _MARK, True)
    Connection.collect = collect
