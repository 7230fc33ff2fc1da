"""The on-commit hand-off against a real (private) Redis: it never makes ``publish`` wait on a dead broker."""

import time

import pytest
import redis

from delivery.handoff import enqueue_batch, fan_out_request

pytestmark = pytest.mark.e2e


def queued(broker):
    return redis.Redis.from_url(broker.url).llen("celery")


def test_hand_off_reaches_the_broker(private_broker):
    assert fan_out_request.ask("msg_1") is True
    assert enqueue_batch([1, 2], "token") is True
    assert queued(private_broker) == 2


def test_a_dead_broker_fails_the_hand_off_at_once(private_broker):
    assert fan_out_request.ask("msg_1") is True  # a pooled connection exists
    private_broker.stop()
    started = time.monotonic()
    results = [fan_out_request.ask(f"msg_{n}") for n in range(10)]
    elapsed = time.monotonic() - started
    assert results == [False] * 10
    assert elapsed < 2, f"10 hand-offs to a dead broker took {elapsed:.1f} s"


def test_hand_offs_resume_when_the_broker_is_back(private_broker):
    assert fan_out_request.ask("msg_1") is True
    private_broker.stop()
    assert fan_out_request.ask("msg_2") is False
    private_broker.start()  # empty: it keeps nothing
    results = [fan_out_request.ask(f"msg_{n}") for n in range(3, 6)]
    assert results[1:] == [True, True]  # at most the first finds a stale pooled connection
    assert queued(private_broker) == 1  # one fan-out request stands for all of them


def test_one_fan_out_request_stands_for_every_publish_until_a_worker_takes_it_up(private_broker):
    assert all(fan_out_request.ask(f"msg_{n}") for n in range(20))
    assert queued(private_broker) == 1
    fan_out_request.take()
    assert fan_out_request.ask("msg_21") and fan_out_request.ask("msg_22")
    assert queued(private_broker) == 2
