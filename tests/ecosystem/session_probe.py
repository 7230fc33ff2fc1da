"""A test session run only by test_dev_commands.py (the name is outside pytest's pattern): it reaches the
broker the suite publishes to, and with SESSION_PROBE_WAIT says so in that file and waits to be interrupted."""

import os
import time
from pathlib import Path

from django.conf import settings

from hookplatform.celery import app


def test_the_session_reaches_its_embedded_broker():
    assert settings.USES_EMBEDDED_BROKER
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=3)
    if os.environ.get("SESSION_PROBE_WAIT"):
        Path(os.environ["SESSION_PROBE_WAIT"]).write_text("waiting")
        time.sleep(120)
