"""The standalone hookplatform project: settings, URLs, the Celery app, the API's URLconf.

Deliberately empty: a host imports ``hookplatform.api_urls`` from here, and
must keep its own Celery app as the current one.  The standalone entry
points (``manage.py``, ``wsgi.py``, ``celery -A hookplatform``) load
``hookplatform.celery`` themselves.
"""
