#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hookplatform.settings")
    from django.core.management import execute_from_command_line

    import hookplatform.celery  # noqa: F401  (the Celery app that commands and runserver publish through)

    execute_from_command_line(sys.argv)
