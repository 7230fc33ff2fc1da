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


def test_a_starting_beat_gets_our_entries_and_a_hosts_own_entry_of_the_same_name_wins():
    from types import SimpleNamespace

    from celery import Celery
    from celery.beat import Scheduler

    app = Celery("probe", set_as_current=False)
    app.conf.beat_schedule = {broker.DISPATCH_ENTRY: {"task": "host.own_dispatch", "schedule": 30.0}}
    scheduler = Scheduler(app=app)
    broker.add_beat_entries(sender=SimpleNamespace(scheduler=scheduler))
    assert scheduler.schedule[broker.DISPATCH_ENTRY].task == "host.own_dispatch"
    app = Celery("probe", set_as_current=False)
    scheduler = Scheduler(app=app)
    broker.add_beat_entries(sender=SimpleNamespace(scheduler=scheduler))
    assert scheduler.schedule[broker.DISPATCH_ENTRY].task == "delivery.dispatch"


def test_a_web_process_gets_no_beat_entries(tmp_path):
    """Loading the apps, as a host's web process does, writes nothing into the Celery app's schedule."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = ("import django; django.setup()\n"
              "from hookplatform.celery import app\n"
              "from delivery.broker import DISPATCH_ENTRY\n"
              "print(DISPATCH_ENTRY in (app.conf.beat_schedule or {}))\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "HOOKPLATFORM_VAR_DIR": str(tmp_path),
           "CELERY_BROKER_URL": "memory://"}
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"]


def test_hand_off_settings_follow_a_change_of_the_apps_configuration():
    """Read once, but a change through ``app.conf`` is seen by the next hand-off."""
    app = celery_app()
    queue, options = app.conf.task_default_queue, app.conf.broker_transport_options
    assert broker.hand_off_settings(app).default_queue == queue
    try:
        app.conf.task_default_queue = "elsewhere"
        assert broker.hand_off_settings(app).default_queue == "elsewhere"
        app.conf.broker_transport_options = {**(options or {}), "visibility_timeout": 7}
        assert "'visibility_timeout': 7" in broker.hand_off_settings(app).transport_options
    finally:
        app.conf.task_default_queue, app.conf.broker_transport_options = queue, options
    assert broker.hand_off_settings(app).default_queue == queue
