"""RabbitMQ as the broker: no fan-out request key there, so every publish hands over its own task."""

import os
import time

import pytest

from delivery import publish
from subscriptions import create_endpoint, ensure_event_type
from tests.worker import publishing_through

RABBITMQ_URL = os.environ.get("RABBITMQ_URL")

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not RABBITMQ_URL, reason="set RABBITMQ_URL (CI does) to test with RabbitMQ")]


def test_every_event_published_through_rabbitmq_arrives_once(own_workers, receiver):
    from hookplatform.celery import app

    ensure_event_type("invoice.paid")
    create_endpoint("org_1", url=receiver.url("/rabbit"))
    with publishing_through(RABBITMQ_URL):
        app.control.purge()  # what an earlier run may have left in the shared queue
        own_workers(extra_env={"CELERY_BROKER_URL": RABBITMQ_URL})
        events = [publish("invoice.paid", {"n": n}, tenant="org_1") for n in range(40)]
        receiver.wait_for(40, "/rabbit")
        time.sleep(1)  # time for a duplicate to show
    got = receiver.to("/rabbit")
    assert sorted(request.headers["webhook-id"] for request in got) == sorted(event.id for event in events)
