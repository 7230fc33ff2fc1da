"""The fan-out's endpoint loading gives what the ORM gives: the same rows, converted alike, their state and secrets."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import prefetch_related_objects
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery import endpoint_loading
from delivery.models import EndpointState
from subscriptions import create_endpoint, disable_endpoint
from subscriptions.models import Endpoint, Tenant
from subscriptions.secrets import active_secrets, rotate_secret

pytestmark = pytest.mark.django_db


def values(instance):
    return [getattr(instance, field.attname) for field in instance._meta.concrete_fields]


@pytest.fixture
def endpoints(invoice_paid):
    plain = create_endpoint("org_1", url="http://127.0.0.1:9/plain")
    rich = create_endpoint("org_1", url="http://user:pw@127.0.0.1:9/rich", event_types=["invoice.*"],
                           headers={"X-Team": "blue"}, metadata={"n": 1, "nested": {"a": [1, 2]}}, rate_limit=5,
                           filter={"data.total": {"$gt": 10}}, retry_schedule=[1, 2], timeout=2.5, ordered=True)
    EndpointState.objects.create(endpoint=rich, failing_since=timezone.now() - timedelta(minutes=3), rate_count=2)
    rotate_secret(rich)  # two secrets, the older one in its grace period
    gone = create_endpoint("org_1", url="http://127.0.0.1:9/disabled")
    disable_endpoint(gone, reason="test")
    other = create_endpoint("org_2", url="http://127.0.0.1:9/other")
    return plain, rich, gone, other


def orm_endpoints(tenant_ids):
    loaded = list(Endpoint.objects.filter(tenant_id__in=tenant_ids, disabled=False).select_related("send_state"))
    prefetch_related_objects(loaded, "secrets")
    return loaded


def test_the_enabled_endpoints_of_the_tenants_asked_for_as_the_orm_reads_them(endpoints):
    plain, rich, gone, other = endpoints
    tenant_ids = [Tenant.objects.get(uid="org_1").pk]
    loaded = endpoint_loading.enabled_endpoints(tenant_ids)
    assert {e.pk for e in loaded} == {plain.pk, rich.pk}  # not the disabled one, not another tenant's
    assert [values(e) for e in loaded] == [values(e) for e in orm_endpoints(tenant_ids)]
    by_pk = {e.pk: e for e in loaded}
    assert by_pk[rich.pk].event_types == ["invoice.*"] and by_pk[rich.pk].metadata["nested"] == {"a": [1, 2]}
    assert by_pk[rich.pk].filter == {"data.total": {"$gt": 10}} and by_pk[rich.pk].ordered is True
    assert by_pk[rich.pk].url_to_send() == "http://user:pw@127.0.0.1:9/rich"
    assert by_pk[rich.pk].created_at.tzinfo is not None and not by_pk[rich.pk]._state.adding


def test_each_endpoint_comes_with_its_state_row_or_none_without_another_query(endpoints):
    plain, rich, _, _ = endpoints
    loaded = {e.pk: e for e in endpoint_loading.enabled_endpoints([plain.tenant_id])}
    with CaptureQueriesContext(connection) as queries:
        state = loaded[rich.pk].send_state
        assert getattr(loaded[plain.pk], "send_state", None) is None
    assert not queries.captured_queries
    assert values(state) == values(EndpointState.objects.get(pk=rich.pk))
    assert state.endpoint is loaded[rich.pk]
    with pytest.raises(EndpointState.DoesNotExist):
        loaded[plain.pk].send_state  # noqa: B018 (as select_related leaves it)


def test_secrets_are_where_active_secrets_finds_them_newest_first_without_another_query(endpoints):
    plain, rich, _, other = endpoints
    loaded = endpoint_loading.enabled_endpoints([plain.tenant_id, other.tenant_id])
    endpoint_loading.attach_secrets(loaded)
    expected = {e.pk: active_secrets(e) for e in orm_endpoints([plain.tenant_id, other.tenant_id])}
    with CaptureQueriesContext(connection) as queries:
        found = {e.pk: active_secrets(e) for e in loaded}
    assert not queries.captured_queries
    assert found == expected and len(found[rich.pk]) == 2
    assert [s.pk for s in next(e for e in loaded if e.pk == rich.pk).secrets.all()] == list(
        rich.secrets.order_by("-created_at", "-id").values_list("pk", flat=True))


def test_endpoints_whose_secrets_are_loaded_already_are_not_read_again(endpoints):
    plain, _, _, _ = endpoints
    loaded = endpoint_loading.enabled_endpoints([plain.tenant_id])
    endpoint_loading.attach_secrets(loaded)
    with CaptureQueriesContext(connection) as queries:
        endpoint_loading.attach_secrets(loaded)
        endpoint_loading.attach_secrets([])
    assert not queries.captured_queries
    assert endpoint_loading.enabled_endpoints([]) == []


def test_copies_of_one_endpoint_each_get_its_secrets_from_one_read(endpoints):
    _, rich, _, _ = endpoints
    copies = [Endpoint.objects.get(pk=rich.pk), Endpoint.objects.get(pk=rich.pk)]  # as select_related gives rows
    with CaptureQueriesContext(connection) as queries:
        endpoint_loading.attach_secrets(copies)
    assert len(queries.captured_queries) == 1 and queries.captured_queries[0]["sql"].count(rich.pk) == 1
    assert active_secrets(copies[0]) == active_secrets(copies[1]) == active_secrets(rich)
