"""The publish spans in this process: the one-statement fast path and ``publish_many`` keep the trace context."""

import pytest
from opentelemetry import trace

from delivery import publish, publish_many
from subscriptions import ensure_event_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice_paid():
    return ensure_event_type("invoice.paid")


def _traceparent_of(span):
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def test_a_published_event_keeps_its_publish_span_on_its_row(invoice_paid, spans):
    publish("invoice.paid", {"n": 1}, tenant="acme")  # the tenant and the type are known from here on
    spans.clear()
    with trace.get_tracer("host").start_as_current_span("host request") as host:
        event = publish("invoice.paid", {"n": 2}, tenant="acme")
    event.refresh_from_db()
    (span,) = [s for s in spans.get_finished_spans() if s.name == "webhooks publish"]
    assert span.parent.span_id == host.get_span_context().span_id
    assert event.traceparent == _traceparent_of(span)


def test_publish_many_is_one_span_parent_of_every_event(invoice_paid, spans):
    with trace.get_tracer("host").start_as_current_span("host request") as host:
        events = publish_many([{"event_type": "invoice.paid", "data": {"n": n}, "tenant": "acme"} for n in range(3)])
    (span,) = [s for s in spans.get_finished_spans() if s.name == "webhooks publish_many"]
    assert span.parent.span_id == host.get_span_context().span_id
    assert span.attributes["webhooks.event_count"] == 3
    for event in events:
        event.refresh_from_db()
        assert event.traceparent == _traceparent_of(span)
