"""``tracing.with_traceparent``: the receiver's header is added only when WEBHOOKS_TRACEPARENT_HEADER is on."""

from django.test import override_settings
from opentelemetry import trace

from delivery import tracing


def test_off_by_default_even_inside_a_span(spans):
    with trace.get_tracer("test").start_as_current_span("attempt"):
        assert tracing.with_traceparent({"x-custom": "1"}) == {"x-custom": "1"}


def test_on_it_names_the_current_span(spans):
    with override_settings(WEBHOOKS_TRACEPARENT_HEADER=True):
        assert tracing.with_traceparent({}) == {}  # no span, no header
        with trace.get_tracer("test").start_as_current_span("attempt") as span:
            context = span.get_span_context()
            headers = tracing.with_traceparent({"x-custom": "1"})
    assert headers == {"x-custom": "1",
                       "traceparent": f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"}
