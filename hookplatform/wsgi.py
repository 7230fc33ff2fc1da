import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hookplatform.settings")
import hookplatform.celery  # noqa: E402,F401  (the Celery app the web process publishes through)
from hookplatform.checks import refuse_unsafe_start  # noqa: E402

application = get_wsgi_application()
refuse_unsafe_start()  # gunicorn runs no system checks: a worker that raises here fails to boot, and gunicorn stops
