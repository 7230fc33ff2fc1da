"""L5: a token as the URL's user name or in its query string stays out of error messages, the attempt
log and log records when a delivery fails (the error text of requests quotes the URL)."""

import logging

from delivery import publish
from delivery.fanout import fan_out_and_send
from delivery.models import Attempt, Delivery
from subscriptions import create_endpoint, ensure_event_type
from tests.worker import free_port

USER_TOKEN, QUERY_TOKEN = "ut-3c9e1a7b", "qt-8d4f2b6e"


def test_a_failed_attempt_quotes_no_url_token(db, caplog):
    """L5: the refused connection's error names the URL with its tokens redacted."""
    ensure_event_type("audit.done")
    url = f"http://{USER_TOKEN}@127.0.0.1:{free_port()}/closed?access_token={QUERY_TOKEN}&n=1"
    create_endpoint("org_gaps", url=url)
    caplog.set_level(logging.DEBUG)
    fan_out_and_send(publish("audit.done", {"n": 1}, tenant="org_gaps").id)
    [attempt] = Attempt.objects.all()
    assert not attempt.succeeded and attempt.error_message
    stored = str(Attempt.objects.values().get()) + str(Delivery.objects.values().get())
    logged = "\n".join(f"{r.getMessage()} {r.__dict__} {r.exc_text or ''}" for r in caplog.records)
    assert [t for t in (USER_TOKEN, QUERY_TOKEN) if t in stored + logged] == []
