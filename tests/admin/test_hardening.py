"""L19: read-only log pages refuse a crafted change POST; L12: deep JSON typed in the admin is a form error."""

import pytest
from django.db.models.signals import post_save
from django.urls import reverse

from delivery.models import Attempt, Delivery, Event
from subscriptions.models import Endpoint, EventType, Tenant
from tests.admin.test_actions import act, object_action


@pytest.fixture
def saves():
    """Every model save during the test, as (model name, pk)."""
    seen = []

    def record(sender, instance, **kwargs):
        seen.append((sender.__name__, instance.pk))

    post_save.connect(record, weak=False)
    yield seen
    post_save.disconnect(record)


@pytest.mark.parametrize("model", [Event, Delivery, Attempt])
def test_a_crafted_change_post_to_a_read_only_log_is_refused(admin_client, history, saves, model):
    """L19: the Save buttons were hidden, but a POST re-saved the row as loaded (over a worker's newer write)."""
    obj = model.objects.first()
    url = reverse(f"admin:hookplatform_delivery_{model._meta.model_name}_change", args=[obj.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"_save": "Save"})
    assert response.status_code == 403
    assert saves == []


def test_actions_of_read_only_logs_still_work(admin_client, history):
    """L19: refusing the change form must not refuse the object actions, which have their own views."""
    act(admin_client, Delivery, "cancel", [history["retrying"]])
    assert Delivery.objects.get(pk=history["retrying"].pk).status == "cancelled"
    page = admin_client.post(object_action(admin_client, history["pending"], "cancel"), {"confirm": "yes"})
    assert page.status_code == 302
    assert Delivery.objects.get(pk=history["pending"].pk).status == "cancelled"


DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("page, field, data", [
    ("admin:hookplatform_subscriptions_tenant_add", "metadata", {"uid": "deep", "name": "Deep", "contact_email": ""}),
    ("admin:hookplatform_subscriptions_eventtype_add", "schema", {"name": "deep.type", "description": ""}),
    ("admin:hookplatform_subscriptions_endpoint_add", "metadata", {"url": "https://127.0.0.1:9/hook", "description": "",
                                                       "event_types": "[]", "rate_limit": ""}),
])
def test_deep_json_in_admin_fields_is_a_form_error(admin_client, history, page, field, data):
    """L12: deep JSON typed into metadata or schema raised RecursionError: a 500."""
    data = {**data, field: DEEP}
    if page.endswith("endpoint_add"):
        data["tenant"] = Tenant.objects.first().pk
        data["metadata"] = DEEP
    counts = (Tenant.objects.count(), EventType.objects.count(), Endpoint.objects.count())
    response = admin_client.post(reverse(page), data)
    assert response.status_code == 200  # the form again, with its errors
    assert response.context["adminform"].form.errors
    assert (Tenant.objects.count(), EventType.objects.count(), Endpoint.objects.count()) == counts
