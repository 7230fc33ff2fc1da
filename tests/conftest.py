import pytest

from tests.receiver import Receiver
from tests.worker import WorkerProcess


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def worker(django_db_setup, django_db_blocker):
    """A real Celery worker (beat inside) on the test database, shared by the session."""
    process = WorkerProcess().start()
    yield process
    process.stop()


@pytest.fixture
def live_worker(worker, transactional_db):
    """The shared worker, with the test's data committed so that it can see them."""
    return worker
