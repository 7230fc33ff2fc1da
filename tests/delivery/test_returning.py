"""``update_where``: a conditional UPDATE written without the ORM's compiler, saying which rows it changed."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from delivery.models import Delivery
from delivery.returning import Increment, update_returning, update_where
from subscriptions import create_endpoint

pytestmark = pytest.mark.django_db
Status = Delivery.Status


@pytest.fixture
def row(make_delivery):
    """A delivery of the same event to a new endpoint each time (one event, one delivery per endpoint)."""
    made = iter(range(100))

    def make(status=Status.PENDING, **fields):
        to = create_endpoint("org_42", url=f"http://127.0.0.1:9/hook{next(made)}")
        return make_delivery(status, to=to, **fields)

    return make


def test_changes_only_rows_meeting_every_condition_and_returns_them(row):
    held = [row(Status.SENDING, lease_token="a" * 32) for _ in range(3)]
    other_token = row(Status.SENDING, lease_token="b" * 32)
    not_sending = row(Status.PENDING, lease_token="a" * 32)
    at = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    ids = [d.pk for d in (*held[:2], other_token, not_sending)]
    changed = update_where(Delivery, {"lease_token": "a" * 32, "status": Status.SENDING, "id": ids},
                           {"status": Status.SUCCEEDED, "lease_token": None, "finished_at": at,
                            "attempt_count": Increment()}, fields=("id", "attempt_count"))
    assert sorted(changed) == sorted((d.pk, 1) for d in held[:2])
    rows = {d.pk: d for d in Delivery.objects.all()}
    for d in held[:2]:
        assert (rows[d.pk].status, rows[d.pk].lease_token, rows[d.pk].finished_at) == (Status.SUCCEEDED, None, at)
    for d in (held[2], other_token, not_sending):  # outside the ids, another token, another state
        assert (rows[d.pk].status, rows[d.pk].attempt_count) == (d.status, 0)


def test_none_means_is_null_and_an_empty_list_changes_nothing_without_a_query(row):
    started = row(Status.SENDING, send_started_at=datetime(2026, 1, 1, tzinfo=UTC))
    fresh = row(Status.SENDING)
    both = [started.pk, fresh.pk]
    assert update_where(Delivery, {"id": both, "send_started_at": None}, {"lease_node": "n1"}) == [(fresh.pk,)]
    with CaptureQueriesContext(connection) as captured:
        assert update_where(Delivery, {"id": []}, {"lease_node": "n2"}) == []
    assert captured.captured_queries == []
    assert dict(Delivery.objects.values_list("id", "lease_node")) == {started.pk: "", fresh.pk: "n1"}


def test_refuses_to_change_every_row(row):
    row()
    with pytest.raises(ValueError):
        update_where(Delivery, {}, {"lease_node": "n1"})
    assert Delivery.objects.get().lease_node == ""


def test_writes_what_the_orm_writes(row):
    """The same values through ``update_returning`` (the ORM's compiler) and ``update_where`` store the same."""
    first, second = row(Status.SENDING), row(Status.SENDING)
    values = {"status": Status.RETRYING, "next_attempt_at": datetime(2026, 7, 1, 12, tzinfo=UTC),
              "last_error": "quote ' and \\ back", "last_response_status": 503}
    update_returning(Delivery.objects.filter(pk=first.pk), values)
    update_where(Delivery, {"id": second.pk}, values)
    fields = ("status", "next_attempt_at", "last_error", "last_response_status")
    assert (Delivery.objects.filter(pk=first.pk).values_list(*fields).get()
            == Delivery.objects.filter(pk=second.pk).values_list(*fields).get())
