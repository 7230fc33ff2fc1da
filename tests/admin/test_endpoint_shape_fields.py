"""The admin's endpoint form turns issue 15's fields (filter, payload format, body template) into the domain's
values the same way as the portal's (the shared ``ShapeFieldsForm``): bad input shown beside its field."""

from django.test import override_settings
from django.urls import reverse

from subscriptions.models import Endpoint

URL = "https://shape.example.com/h"


def _form(history, **fields):
    return {"tenant": history["good"].tenant_id, "url": URL, "event_types": "[]", "metadata": "{}",
            "retry_on_4xx": "on", **fields}


def test_a_filter_and_cloudevents_are_kept_by_an_edit_that_leaves_them_and_an_empty_format_is_standard(
        admin_client, history):
    add = reverse("admin:hookplatform_subscriptions_endpoint_add")
    response = admin_client.post(add, _form(history, filter='{"data.amount": {"$gte": 1000}}',
                                            payload_format="cloudevents"))
    assert response.status_code == 302
    created = Endpoint.objects.get(url=URL)
    assert created.filter == {"data.amount": {"$gte": 1000}} and created.payload_format == "cloudevents"

    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[created.pk])
    page = admin_client.get(change).content.decode()
    assert "$gte" in page and 'name="body_template"' in page
    assert admin_client.post(change, _form(history, filter='{"data.amount": {"$gte": 1000}}',
                                           payload_format="")).status_code == 302
    created.refresh_from_db()
    assert created.filter == {"data.amount": {"$gte": 1000}} and created.payload_format == "standard"


def test_a_bad_filter_is_shown_beside_its_field(admin_client, history):
    add = reverse("admin:hookplatform_subscriptions_endpoint_add")
    response = admin_client.post(add, _form(history, filter='{"data.amount": {"$gtt": 1}}'))
    assert response.status_code == 200 and not Endpoint.objects.filter(url=URL).exists()
    assert "$gtt" in response.context["adminform"].form.errors["filter"][0]


def test_a_body_template_is_refused_while_templates_are_off_and_stored_while_on(admin_client, history):
    add = reverse("admin:hookplatform_subscriptions_endpoint_add")
    template = '{"text": {{ type | tojson }}}'
    refused = admin_client.post(add, _form(history, body_template=template))
    assert refused.status_code == 200 and refused.context["adminform"].form.errors["body_template"]
    with override_settings(WEBHOOKS_BODY_TEMPLATES=True):
        assert admin_client.post(add, _form(history, body_template=template,
                                            content_type="application/json")).status_code == 302
    assert Endpoint.objects.get(url=URL).body_template == template
