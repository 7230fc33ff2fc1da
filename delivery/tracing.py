"""OpenTelemetry traces of the path publish → fan-out → attempts, when ``opentelemetry`` is installed.

The one module that imports ``opentelemetry`` (``.importlinter``).  Without
it every helper here is a no-op: the decorators hand back the function they
got, the trace context is empty, nothing else is imported.

- ``publish`` is a span in the caller's current trace; its context is kept
  on the event row (``Event.traceparent``), the outbox, so it survives a
  hand-off through the database as well as through the broker.
- A fan-out serves many events at once, so its span starts a trace of its
  own and links to the publish span of every event it takes.
- Each attempt is a child of its event's publish span (a trace shows a
  publish and all its attempts, retries included) and links to the task
  span that sent it.  A batch task sent by a fan-out carries the fan-out's
  context in its Celery headers, so its span is the fan-out's child.

A process configures the SDK itself from the standard ``OTEL_*`` variables
when ``OTEL_TRACES_EXPORTER`` names exporters and no tracer provider is
set yet (a host's own set-up, e.g. ``opentelemetry-instrument``, wins).
"""

import functools
import logging
import os

from celery import current_task
from celery.signals import before_task_publish

from subscriptions import conf

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    # W3C trace context by name, whatever propagators the host chose: the event row and the header hold it.
    W3C = TraceContextTextMapPropagator()
except ImportError:  # the optional extra is not installed: nothing is traced
    trace = None

logger = logging.getLogger("delivery.tracing")

SEND_TASK = "delivery.send_batch"  # the batch task whose headers carry the sender's context
_configured = False


def enabled():
    return trace is not None


def _tracer():
    global _configured
    if not _configured:
        _configured = True
        _configure_from_environment()
    return trace.get_tracer("hookplatform.delivery")


def _provider_set():
    """Whether a tracer provider records spans (set by the host or from ``OTEL_*``): the API alone has none."""
    _tracer()
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def _configure_from_environment():
    """Set a tracer provider from ``OTEL_*`` with the exporters ``OTEL_TRACES_EXPORTER`` names."""
    names = [n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip() not in ("", "none")]
    if not names or os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return  # the host set one up
    try:
        from importlib.metadata import entry_points

        from opentelemetry.sdk.trace import TracerProvider  # reads OTEL_SERVICE_NAME, _RESOURCE_ATTRIBUTES, sampler
        from opentelemetry.sdk.trace.export import BatchSpanProcessor  # reads OTEL_BSP_*

        provider = TracerProvider()
        for name in names:
            (exporter,) = entry_points(group="opentelemetry_traces_exporter", name=name)
            provider.add_span_processor(BatchSpanProcessor(exporter.load()()))
    except (ImportError, ValueError) as exc:
        logger.warning("OTEL_TRACES_EXPORTER=%s not set up (is hookplatform[otel] and the exporter installed?): "
                       "%s: %s", ",".join(names), type(exc).__name__, exc)
        return
    trace.set_tracer_provider(provider)


def current_traceparent():
    """The W3C ``traceparent`` of the current span, "" when there is none (the event row's default)."""
    if trace is None:
        return ""
    carrier = {}
    W3C.inject(carrier)
    return carrier.get("traceparent", "")


def _context_of(traceparent):
    return W3C.extract({"traceparent": traceparent}) if traceparent else otel_context.Context()


def _span_context_of(traceparent):
    return trace.get_current_span(_context_of(traceparent)).get_span_context()


def _failed(span, error_class, message):
    span.set_attribute("error.type", error_class)
    span.set_status(trace.Status(trace.StatusCode.ERROR, message))


def publish_span(publish):
    """Decorate ``publish``: a producer span, child of the caller's current span."""
    if trace is None:
        return publish

    @functools.wraps(publish)
    def traced(event_type, *args, **kwargs):
        with _tracer().start_as_current_span("webhooks publish", kind=trace.SpanKind.PRODUCER,
                                             attributes={"webhooks.event_type": str(event_type)}) as span:
            event = publish(event_type, *args, **kwargs)
            span.set_attributes({"webhooks.event_id": event.pk, "webhooks.tenant.id": event.tenant_id})
            if event._meta.get_field("tenant").is_cached(event):  # not an idempotent repeat's extra query
                span.set_attribute("webhooks.tenant.uid", event.tenant.uid)
            return event

    return traced


def publish_many_span(publish_many):
    """Decorate ``publish_many``: one producer span for the call, the parent of every event it publishes."""
    if trace is None:
        return publish_many

    @functools.wraps(publish_many)
    def traced(events, *args, **kwargs):
        with _tracer().start_as_current_span("webhooks publish_many", kind=trace.SpanKind.PRODUCER) as span:
            published = publish_many(events, *args, **kwargs)
            span.set_attribute("webhooks.event_count", len(published))
            return published

    return traced


def task_span(name, linked=False):
    """Decorate a Celery task: a consumer span, child of the context in the task's headers, or (``linked``)
    the root of a trace of its own that ``link_events`` links to the events it serves."""

    def decorate(task):
        if trace is None:
            return task

        @functools.wraps(task)
        def traced(*args, **kwargs):
            parent = otel_context.Context() if linked else _context_of(_header_traceparent())
            with _tracer().start_as_current_span(name, context=parent, kind=trace.SpanKind.CONSUMER):
                return task(*args, **kwargs)

        return traced

    return decorate


def _header_traceparent():
    request = current_task.request if current_task else None
    return getattr(request, "traceparent", None) or ""


def _carry_context(sender=None, headers=None, **kwargs):
    """Put the current context in the headers of a batch task (Celery's ``before_task_publish``)."""
    traceparent = current_traceparent()
    if sender == SEND_TASK and headers is not None and traceparent:
        headers["traceparent"] = traceparent


if trace is not None:
    before_task_publish.connect(_carry_context, weak=False, dispatch_uid="hookplatform.tracing")


def link_events(events):
    """Link the current (fan-out) span to the publish span of each event."""
    if trace is None:
        return
    span = trace.get_current_span()
    for event in events:
        linked = _span_context_of(event.traceparent)
        if linked.is_valid:
            span.add_link(linked, {"webhooks.event_id": event.pk})


def attempt_spans(send_one):
    """Wrap ``send_one(delivery) -> (request, outcome)``: a client span per attempt, child of the event's
    publish span, linked to the span current here (the task's); it runs in the send pool's threads."""
    if trace is None or not (_provider_set() or conf.get().traceparent_header):
        return send_one  # nothing would record the spans, nor read their context
    sender = trace.get_current_span().get_span_context()
    links = [trace.Link(sender)] if sender.is_valid else []

    def traced(delivery):
        attributes = {"webhooks.delivery_id": delivery.pk, "webhooks.event_id": delivery.event_id,
                      "webhooks.endpoint_id": delivery.endpoint_id, "webhooks.tenant.id": delivery.tenant_id}
        with _tracer().start_as_current_span("webhooks attempt", context=_context_of(delivery.event.traceparent),
                                             kind=trace.SpanKind.CLIENT, links=links,
                                             attributes=attributes) as span:
            request, outcome = send_one(delivery)
            span.set_attribute("webhooks.attempt.duration_ms", outcome.duration_ms)
            if outcome.status is not None:
                span.set_attribute("http.response.status_code", outcome.status)
            if not outcome.succeeded:
                _failed(span, outcome.error_class or f"HTTP {outcome.status}", outcome.error_message)
            return request, outcome

    return traced


def with_traceparent(headers):
    """``headers`` plus the current span's ``traceparent`` when ``WEBHOOKS_TRACEPARENT_HEADER`` is on."""
    traceparent = current_traceparent() if conf.get().traceparent_header else ""
    return {**headers, "traceparent": traceparent} if traceparent else headers
