import pytest

import hookplatform.celery  # noqa: F401  (the standalone Celery app: current for publishing)
from tests.receiver import Receiver
from tests.worker import RedisServer, WorkerProcess, publishing_through

_shared = {}


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """One seed for every property test, before hypothesis's plugin reads ``--hypothesis-seed``."""
    from hypothesis import HealthCheck, settings

    from tests.seeds import run_seed

    config.option.hypothesis_seed = str(run_seed(config.getoption("hypothesis_seed", None)))
    # Hypothesis's own "ci" profile (loaded when CI is set) derandomizes, which ignores the seed: the
    # seed governs everywhere instead, with no example database and no deadline (slow CI is no bug).
    settings.register_profile("hookplatform", deadline=None, database=None, derandomize=False,
                              print_blob=True, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("hookplatform")


def _seed_line(config):
    from tests.seeds import SCALE

    return (f"property tests: seed {config.getoption('hypothesis_seed', None)}, {SCALE}x examples "
            "(HYPOTHESIS_SEED=random HYPOTHESIS_SCALE=10 for a longer search, see tests/seeds.py)")


def pytest_report_header(config):
    return _seed_line(config)


def pytest_terminal_summary(terminalreporter, config):
    """Again at the end, where -q shows it too: the seed to replay a failure with (HYPOTHESIS_SEED=...)."""
    terminalreporter.write_line(_seed_line(config))


@pytest.fixture
def private_broker():
    """A memory-only Redis of the test's own, which this process publishes to: never the machine's shared one."""
    broker = RedisServer().start()
    with publishing_through(broker.url):
        yield broker
    broker.stop()


@pytest.fixture(scope="session", autouse=True)
def _session_owns_the_embedded_broker():
    """Without CELERY_BROKER_URL the session starts the embedded broker and stops it at its end.

    As the session's child it stops with it however the session ends (finished, Ctrl-C, killed),
    so no redis-server outlives ``python3 dev.py test``; workers the tests start find it running.
    """
    from django.conf import settings

    if not settings.USES_EMBEDDED_BROKER:
        yield None
        return
    from hookplatform.embedded_broker import OwnedBroker

    with OwnedBroker(settings.EMBEDDED_BROKER_DIR) as broker:
        yield broker


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def line_receiver():
    """Makes receivers for ordered endpoints (``tests/line_receiver.py``); stops them after the test."""
    from tests.line_receiver import LineReceiver

    receivers = []

    def make(**kwargs):
        receivers.append(LineReceiver(**kwargs))
        return receivers[-1]

    yield make
    for made in receivers:
        made.stop()


@pytest.fixture(scope="session")
def worker(django_db_setup, django_db_blocker):
    """A real Celery worker (beat inside) on the test database, shared by the session."""
    process = WorkerProcess().start()
    _shared["worker"] = process
    yield process
    _shared.pop("worker", None)
    process.stop()


@pytest.fixture
def live_worker(worker, transactional_db):
    """The shared worker, with the test's data committed so that it can see them."""
    if worker.process.poll() is not None:  # it stepped aside for a test with its own workers
        worker.start()
    return worker


@pytest.fixture
def own_workers(transactional_db):
    """For tests that start, kill or re-wire their own workers: the shared one (if any) steps aside.

    Any number of workers may share the database, so the shared one would
    otherwise finish the work the test means its own workers to do.
    """
    shared = _shared.get("worker")
    if shared and shared.process.poll() is None:
        shared.stop()  # the next test that needs it starts it again
    started = []

    def start(**kwargs):
        process = WorkerProcess(**kwargs).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()  # the test is over: no need to wait for a warm shutdown
        process.close()


@pytest.fixture
def invoice_paid(db):
    """The event type most tests publish."""
    from subscriptions import ensure_event_type

    return ensure_event_type("invoice.paid", description="An invoice was paid")


@pytest.fixture
def handed_over(monkeypatch):
    """Records what would be handed to the broker, for unit tests that run without one."""
    from delivery import dispatcher, fanout, handoff, lines, operations
    from delivery.handoff import fan_out_request

    calls = []

    def enqueue_batch(ids, token, trigger="scheduled"):
        calls.append(("batch", list(ids), token, trigger))
        return True

    def ask(event_id=None):
        calls.append(("fan_out", event_id))
        return True

    for module in (handoff, fanout, dispatcher, operations, lines):
        monkeypatch.setattr(module, "enqueue_batch", enqueue_batch, raising=False)
    monkeypatch.setattr(fan_out_request, "ask", ask)
    monkeypatch.setattr(fan_out_request, "take", lambda: calls.append(("fan_out_request_taken",)))
    return calls


@pytest.fixture
def tinyproxy(tmp_path):
    """Debian's tinyproxy on 127.0.0.1 with Basic credentials (tests using it are marked ``needs_tinyproxy``)."""
    from tests.edge_servers import Tinyproxy

    server = Tinyproxy(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def local_receiver():
    """A receiver on localhost's address (reached by the name ``localhost``) that answers 200 to every POST."""
    from tests.edge_servers import Server

    server = Server(lambda handler, body: (200, {"ok": True})).start()
    yield server
    server.stop()
