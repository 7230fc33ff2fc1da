"""The Celery and kombu adaptations: the configured app from any thread, the kombu fix only in workers."""

import threading

from kombu import Connection

from delivery import broker
from delivery.broker import celery_app


def test_every_thread_hands_work_to_the_configured_app():
    seen = {}

    def look():
        seen["app"] = celery_app()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(5)
    assert seen["app"].main == "hookplatform"
    assert seen["app"].conf.broker_url == celery_app().conf.broker_url


def test_loading_the_apps_patches_nothing_in_kombu():
    """This process loaded the apps as a web process does: the kombu fix is for workers only."""
    assert not getattr(Connection.collect, broker._GUARDED, False)


def test_the_kombu_fix_is_left_out_on_a_release_it_was_not_checked_against(monkeypatch, caplog):
    monkeypatch.setattr(Connection, "collect", Connection.collect)
    assert broker.keep_worker_alive_when_redis_goes("6.0.0") is False
    assert not getattr(Connection.collect, broker._GUARDED, False)
    assert "kombu issue 582" in caplog.text


def test_the_kombu_fix_makes_the_second_close_a_no_op(monkeypatch):
    monkeypatch.setattr(Connection, "collect", Connection.collect)
    assert broker.keep_worker_alive_when_redis_goes("5.7.0") is True
    assert broker.keep_worker_alive_when_redis_goes("5.7.0") is True  # installed once
    connection = Connection("memory://")
    connection.default_channel  # noqa: B018 - open the channel the collect leaves behind
    connection.collect()
    assert connection._default_channel is None
