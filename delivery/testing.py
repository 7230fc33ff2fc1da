"""For a host's tests (README step 9): a real Celery worker of the host's app, with beat, on the test database.

    # conftest.py
    pytest_plugins = ["delivery.testing"]

    def test_a_paid_order_is_delivered(webhooks_worker, transactional_db): ...

Why it exists: a worker started as ``celery -A yourproject worker`` opens the
database its settings name, not the test database pytest-django made (on
SQLite, by default, one in memory that no other process can open), so it
would never see what a test publishes.  This fixture starts the host's own
Celery app with the test database's name put into its settings before
anything connects.  The worker sees committed rows only: use
``transactional_db`` (or ``django_db(transaction=True)``).  On SQLite the test
database must be a file (``DATABASES["default"]["TEST"]["NAME"]``, system check
``delivery.W010``).  The worker allows receivers on 127.0.0.1, as a test's are.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

READY = " ready."


@pytest.fixture(scope="session")
def webhooks_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A ``celery worker -B`` of the host's Celery app on the test database, for the whole session."""
    from django.conf import settings
    from django.db import connection

    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        pytest.fail('The test database is in memory, where a worker cannot see it: set DATABASES["default"]'
                    '["TEST"]["NAME"] to a file (or test on PostgreSQL).')
    from delivery.broker import celery_app

    app = celery_app()
    # A queue of the session's own, in this process and the worker: a development worker of the same
    # project on the same broker would otherwise take the test's tasks (and look in the wrong database).
    queue, usual_queue = f"webhooks-test-{os.getpid()}", app.conf.task_default_queue
    folder = tmp_path_factory.mktemp("webhooks-worker")
    log_path = folder / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
           "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    with open(log_path, "w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "delivery.testing", name, queue, str(folder)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    app.conf.task_default_queue = queue
    try:
        _wait_ready(worker, log_path)
        yield worker
    finally:
        app.conf.task_default_queue = usual_queue
        _stop(worker)


def _wait_ready(worker, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while READY not in log_path.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"The webhooks worker did not start; its log ({log_path}) ends:\n"
                        f"{log_path.read_text()[-3000:]}")
        time.sleep(0.1)


def _stop(worker):
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def main(database_name, queue, folder):
    """The worker process: the host's settings with the test database's name, then the host's Celery app."""
    import django
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = database_name  # before django.setup(): nothing has connected yet
    from subscriptions import conf

    setattr(settings, conf.knob("allow_private_networks").name, True)  # a test's receivers: 127.0.0.1 (here only)
    django.setup()
    from delivery.broker import celery_app

    app = celery_app()
    app.conf.task_default_queue = queue
    app.worker_main(["worker", "-B", "-c", "2", "-l", "info", "--without-mingle", "--without-gossip",
                              "-n", f"webhooks-test-{os.getpid()}@%h", "-s", str(Path(folder) / "beat-schedule")])


if __name__ == "__main__":
    main(*sys.argv[1:])
