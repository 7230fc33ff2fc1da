import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hookplatform.settings")
import hookplatform.celery  # noqa: E402,F401  (the Celery app the web process publishes through)

application = get_wsgi_application()
