"""Fixtures of the fault tests."""

import pytest

from tests.worker import RedisServer, publishing_through


@pytest.fixture
def private_broker():
    """A memory-only Redis of the test's own, which this process publishes to: never the machine's shared one."""
    broker = RedisServer().start()
    with publishing_through(broker.url):
        yield broker
    broker.stop()
