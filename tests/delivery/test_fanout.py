"""Fan-out: one task takes other waiting events along, within a batch of deliveries."""

import pytest

from delivery import publish
from delivery.fanout import DeliveriesPerEvent, fan_out_for_sending
from delivery.models import Delivery, Event
from subscriptions import create_endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_endpoints(invoice_paid):
    return [create_endpoint("org_42", url=f"http://127.0.0.1:9/{i}") for i in range(3)]


def publish_many(count, tenant="org_42"):
    return [publish("invoice.paid", {"n": n}, tenant=tenant) for n in range(count)]


def waiting_ids():
    return set(Event.objects.filter(fanned_out_at__isnull=True).values_list("id", flat=True))


def test_a_fan_out_takes_the_other_waiting_events_along(three_endpoints, handed_over):
    events = publish_many(4)
    own = events[2]
    rows, token, more_waiting = fan_out_for_sending(own.pk, send_now=50)
    assert len(rows) == 12 and not more_waiting and waiting_ids() == set()
    assert [r.event_id for r in rows[:3]] == [own.pk] * 3  # its own event first
    assert {(r.event_id, r.endpoint_id) for r in rows} == {(e.pk, p.pk) for e in events for p in three_endpoints}
    stored = Delivery.objects.filter(lease_token=token, status=Delivery.Status.SENDING)
    assert stored.count() == 12


def test_events_whose_deliveries_do_not_fit_go_back_to_the_outbox(three_endpoints, handed_over):
    events = publish_many(5)
    rows, _, more_waiting = fan_out_for_sending(events[0].pk, send_now=5)
    assert {r.event_id for r in rows} == {events[0].pk}  # a second event would make 6 > 5
    assert more_waiting
    assert waiting_ids() == {e.pk for e in events[1:]}


def test_the_first_event_is_taken_whole_however_many_endpoints_it_has(three_endpoints, handed_over):
    [event] = publish_many(1)
    rows, _, _ = fan_out_for_sending(event.pk, send_now=2)
    assert len(rows) == 3


def test_an_event_another_fan_out_took_ends_the_call_at_once(three_endpoints, handed_over):
    first, second = publish_many(2)
    assert len(fan_out_for_sending(first.pk, send_now=0)[0]) == 3  # that event only, queued
    assert fan_out_for_sending(first.pk, send_now=50) == ([], None, False)
    assert waiting_ids() == {second.pk}  # left to its own task, or the next request


def test_without_an_event_the_oldest_waiting_ones_are_taken(invoice_paid, handed_over):
    create_endpoint("org_7", url="http://127.0.0.1:9/only")
    events = publish_many(3, tenant="org_7")
    rows, _, more_waiting = fan_out_for_sending(None, send_now=2)
    assert [r.event_id for r in rows] == [e.pk for e in events[:2]]
    assert more_waiting and waiting_ids() == {events[2].pk}


def test_events_of_several_tenants_go_to_their_own_tenants_endpoints(three_endpoints, handed_over):
    other = create_endpoint("org_7", url="http://127.0.0.1:9/other")
    mine, theirs = publish_many(1)[0], publish_many(1, tenant="org_7")[0]
    rows, _, _ = fan_out_for_sending(theirs.pk, send_now=50)
    assert {(r.event_id, r.endpoint_id) for r in rows} == (
        {(theirs.pk, other.pk)} | {(mine.pk, p.pk) for p in three_endpoints})
    assert all(r.tenant_id == r.endpoint.tenant_id for r in rows)


def test_the_next_fan_out_claims_only_as_many_events_as_it_expects_to_fit(three_endpoints, handed_over):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    events = publish_many(6)
    per_event = DeliveriesPerEvent()  # what a worker keeps across its fan-outs
    with CaptureQueriesContext(connection) as first:
        fan_out_for_sending(events[0].pk, send_now=6, per_event=per_event)  # expects 1 per event: claims 6, keeps 2
    with CaptureQueriesContext(connection) as second:
        rows, _, _ = fan_out_for_sending(events[2].pk, send_now=6, per_event=per_event)  # expects 3: claims 2, keeps 2

    def put_back(queries):
        return [q["sql"] for q in queries if '"fanned_out_at" = NULL' in q["sql"]]

    assert len(put_back(first.captured_queries)) == 1 and put_back(second.captured_queries) == []
    assert {r.event_id for r in rows} == {events[2].pk, events[3].pk}
    assert waiting_ids() == {e.pk for e in events[4:]}


def test_fanned_out_rows_come_with_their_endpoints_state_loaded(three_endpoints, handed_over,
                                                                 django_assert_num_queries):
    """The health stage reads each endpoint's state row: it must not cost a query per endpoint."""
    from delivery.models import EndpointState

    EndpointState.objects.create(endpoint=three_endpoints[0])  # one with a row, two without
    publish_many(2)
    rows, _, _ = fan_out_for_sending(None, send_now=50)
    with django_assert_num_queries(0):
        states = {row.endpoint_id: getattr(row.endpoint, "send_state", None) for row in rows}
    assert {e for e, state in states.items() if state is not None} == {three_endpoints[0].pk}
