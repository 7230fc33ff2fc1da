"""Traces across a real worker: the publish span in this process (the SDK's in-memory exporter), the
fan-out, batch and attempt spans in the worker's (its exporter set by OTEL_* alone, written to a file)."""

import pytest
from opentelemetry import trace

from delivery import publish
from delivery.models import Event
from subscriptions import create_endpoint, ensure_event_type
from subscriptions.models import Tenant
from tests.tracing.exporter import read_spans
from tests.worker import free_port, wait_until

pytestmark = pytest.mark.e2e


def _hex(number, width):
    return f"0x{number:0{width}x}"


def _published_in_a_host_span(spans, tenant="org_1"):
    """Publish inside a span of the host's own; returns (event, host span, publish span) from this process."""
    with trace.get_tracer("host-shop").start_as_current_span("POST /invoices/pay") as host:
        event = publish("invoice.paid", {"invoice_id": "in_1"}, tenant=tenant)
    (publish_span,) = [s for s in spans.get_finished_spans() if s.name == "webhooks publish"]
    return event, host, publish_span


def _worker_spans(spans_file, attempts):
    """The worker's spans once ``attempts`` attempt spans and the task spans they link to (which end
    after them) are written."""

    def complete():
        found = read_spans(spans_file)
        ended = {span["context"]["span_id"] for named in found.values() for span in named}
        linked = {link["context"]["span_id"] for span in found.get("webhooks attempt", ()) for link in span["links"]}
        return len(found.get("webhooks attempt", ())) >= attempts and linked <= ended and found

    return wait_until(complete, what=f"{attempts} attempt spans from the worker, and their task spans")


def test_a_publish_is_traced_to_its_fan_out_and_attempts_through_a_real_worker(traced_worker, spans, receiver):
    _, spans_file = traced_worker(WEBHOOKS_BATCH_SIZE="2")  # three deliveries: one goes on as a batch task
    ensure_event_type("invoice.paid")
    endpoints = {path: create_endpoint("org_1", url=receiver.url(path), retry_schedule=[1]).id
                 for path in ("/a", "/b", "/c")}
    receiver.answer("/c", 500, 200)

    event, host, publish_span = _published_in_a_host_span(spans)
    found = _worker_spans(spans_file, attempts=4)

    # publish: a child of the host's span; its context travels with the event row.
    trace_id, publish_id = publish_span.context.trace_id, publish_span.context.span_id
    host = host.get_span_context()
    assert (publish_span.parent.span_id, trace_id) == (host.span_id, host.trace_id)
    tenant = Tenant.objects.get(uid="org_1")
    assert publish_span.attributes["webhooks.event_id"] == event.id
    assert publish_span.attributes["webhooks.tenant.uid"] == "org_1"
    assert publish_span.attributes["webhooks.tenant.id"] == tenant.pk
    flags = publish_span.context.trace_flags
    assert Event.objects.get(pk=event.pk).traceparent == f"00-{trace_id:032x}-{publish_id:016x}-{flags:02x}"

    # The fan-out: a trace of its own in the worker (configured by OTEL_*), linked to the publish span.
    publish_link = {"trace_id": _hex(trace_id, 32), "span_id": _hex(publish_id, 16), "trace_state": "[]"}
    (fan_out,) = [span for span in found["webhooks fan-out"]
                  if any(link["context"] == publish_link for link in span["links"])]
    assert fan_out["parent_id"] is None and fan_out["resource"]["attributes"]["service.name"] == "webhooks-worker"
    assert {"context": publish_link, "attributes": {"webhooks.event_id": event.id}} in fan_out["links"]
    # The batch beyond the fan-out's own went through the broker with the fan-out's context in its headers.
    batches = found.get("webhooks send batch", [])
    assert any(b["parent_id"] == fan_out["context"]["span_id"]
               and b["context"]["trace_id"] == fan_out["context"]["trace_id"] for b in batches)

    # Every attempt, the retry too, is a child of the publish span, linked to the task span that sent it.
    senders = {s["context"]["span_id"] for s in [fan_out, *batches]}
    attempts = found["webhooks attempt"]
    by_endpoint = {}
    for attempt in attempts:
        assert attempt["context"]["trace_id"] == _hex(trace_id, 32) and attempt["parent_id"] == _hex(publish_id, 16)
        assert attempt["kind"] == "SpanKind.CLIENT"
        assert [link["context"]["span_id"] for link in attempt["links"]] in [[s] for s in senders]
        attributes = attempt["attributes"]
        assert attributes["webhooks.event_id"] == event.id and attributes["webhooks.tenant.id"] == tenant.pk
        assert attributes["webhooks.attempt.duration_ms"] >= 0
        by_endpoint.setdefault(attributes["webhooks.endpoint_id"], []).append(attempt)
    assert sorted(by_endpoint) == sorted(endpoints.values())
    failed, retried = sorted(by_endpoint[endpoints["/c"]], key=lambda s: s["start_time"])
    assert failed["attributes"]["http.response.status_code"] == 500
    assert failed["status"]["status_code"] == "ERROR" and failed["attributes"]["error.type"] == "HTTP 500"
    assert retried["attributes"]["http.response.status_code"] == 200 and retried["status"]["status_code"] == "UNSET"
    assert by_endpoint[endpoints["/a"]][0]["attributes"]["http.response.status_code"] == 200

    # The traceparent header is off by default.
    assert all("traceparent" not in {k.lower() for k in got.headers} for got in receiver.requests)


def test_a_connection_error_is_the_attempt_span_error(traced_worker, spans):
    _, spans_file = traced_worker()
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_1", url=f"http://127.0.0.1:{free_port()}/gone", retry_schedule=[])
    _published_in_a_host_span(spans)
    (attempt,) = _worker_spans(spans_file, attempts=1)["webhooks attempt"]
    assert attempt["attributes"]["webhooks.endpoint_id"] == endpoint.id
    assert attempt["status"]["status_code"] == "ERROR" and attempt["attributes"]["error.type"]
    assert "http.response.status_code" not in attempt["attributes"]


def test_the_traceparent_header_names_the_attempt_span_when_switched_on(traced_worker, spans, receiver):
    _, spans_file = traced_worker(WEBHOOKS_TRACEPARENT_HEADER="on")
    ensure_event_type("invoice.paid")
    create_endpoint("org_1", url=receiver.url("/traced"))

    _, _, publish_span = _published_in_a_host_span(spans)
    got = receiver.wait_for(1, "/traced")[0]
    (attempt,) = _worker_spans(spans_file, attempts=1)["webhooks attempt"]

    headers = {k.lower(): v for k, v in got.headers.items()}
    trace_id, span_id = attempt["context"]["trace_id"][2:], attempt["context"]["span_id"][2:]
    version, header_trace, header_span, flags = headers["traceparent"].split("-")
    assert (version, header_trace, header_span) == ("00", trace_id, span_id) and int(flags, 16) & 1  # sampled
    assert trace_id == f"{publish_span.context.trace_id:032x}"  # the receiver's spans join the publish's trace
