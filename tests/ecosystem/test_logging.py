"""Structured logs: every line about a delivery names its event, delivery and endpoint."""

import json
import logging
import re

import pytest

from delivery import publish
from delivery.logging import JsonFormatter, KeyValueFormatter
from subscriptions import create_endpoint, ensure_event_type
from tests.worker import wait_until


def record(**extra):
    item = logging.LogRecord("delivery", logging.INFO, __file__, 1, "attempt", (), None)
    item.__dict__.update(extra)
    return item


def test_key_value_lines_quote_what_needs_quoting():
    line = KeyValueFormatter().format(record(event_id="msg_1", delivery_id=7, endpoint_id="ep_1",
                                             error="Read timed out", note=None))
    assert "level=INFO logger=delivery msg=attempt event_id=msg_1 delivery_id=7 endpoint_id=ep_1" in line
    assert 'error="Read timed out" note=""' in line


def test_json_lines_parse():
    data = json.loads(JsonFormatter().format(record(event_id="msg_1", delivery_id=7, endpoint_id="ep_1")))
    assert data["msg"] == "attempt" and data["delivery_id"] == 7 and data["endpoint_id"] == "ep_1"


@pytest.mark.e2e
def test_the_workers_delivery_lines_carry_the_ids(live_worker, receiver):
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_log", url=receiver.url("/log"))
    receiver.answer("/log", 500, 200)

    event = publish("invoice.paid", {"n": 1}, tenant="org_log")
    receiver.wait_for(2, "/log")

    pattern = re.compile(rf"msg=attempt event_id={event.id} delivery_id=\d+ endpoint_id={endpoint.pk} "
                         r"outcome=(\w+)")
    outcomes = wait_until(lambda: (found := pattern.findall(live_worker.output())) and len(found) >= 2 and found)
    assert outcomes[:2] == ["failed", "succeeded"]
