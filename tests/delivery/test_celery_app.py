"""Hand-offs find the configured Celery app from any thread, not Celery's empty fallback."""

import threading

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
