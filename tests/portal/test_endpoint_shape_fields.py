"""The portal's endpoint pages show and edit issue 15's fields (filter, payload format, body template, ordered)
and issue 17's kind, through the domain functions: bad input shown beside its field."""

import pytest
from django.test import override_settings
from django.urls import reverse

from subscriptions.models import Endpoint

pytestmark = pytest.mark.django_db

FORM = {"url": "https://127.0.0.1:8443/shaped", "retry_on_4xx": "on",
        "filter": '{"data.amount": {"$gte": 1000}}', "payload_format": "cloudevents"}


def test_added_with_a_filter_and_cloudevents_then_made_ordered(alice, catalogue):
    assert alice.post(reverse("portal:endpoint-add"), FORM).status_code == 302
    endpoint = Endpoint.objects.get(url=FORM["url"])
    assert endpoint.filter == {"data.amount": {"$gte": 1000}} and endpoint.payload_format == "cloudevents"
    assert not endpoint.ordered and endpoint.kind == Endpoint.Kind.HTTP
    answer = alice.post(reverse("portal:endpoint-edit", args=[endpoint.pk]), {**FORM, "ordered": "on"})
    assert answer.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.ordered and endpoint.filter == {"data.amount": {"$gte": 1000}}
    detail = alice.get(reverse("portal:endpoint", args=[endpoint.pk])).content.decode()
    assert "CloudEvents 1.0" in detail and "$gte" in detail and "<dt>Ordered delivery</dt><dd>Yes</dd>" in detail
    edit = alice.get(reverse("portal:endpoint-edit", args=[endpoint.pk])).content.decode()
    assert "<legend>What it gets and in what shape</legend>" in edit and 'name="kind"' not in edit


def test_a_bad_filter_is_shown_beside_its_field(alice, catalogue):
    answer = alice.post(reverse("portal:endpoint-add"), {**FORM, "filter": '{"data.amount": {"$gtt": 1}}'})
    assert answer.status_code == 400 and not Endpoint.objects.filter(url=FORM["url"]).exists()
    assert "$gtt" in answer.context["form"].errors["filter"][0]


def test_a_polling_endpoint_is_added_without_a_url_and_an_http_one_needs_one(alice, catalogue):
    assert alice.post(reverse("portal:endpoint-add"), {"kind": "polling", "url": "", "retry_on_4xx": "on"}
                      ).status_code == 302
    endpoint = Endpoint.objects.get(kind=Endpoint.Kind.POLLING)
    assert endpoint.url == ""
    assert "Polling" in alice.get(reverse("portal:endpoint", args=[endpoint.pk])).content.decode()
    answer = alice.post(reverse("portal:endpoint-edit", args=[endpoint.pk]), {"url": "", "description": "pull"})
    assert answer.status_code == 302
    refused = alice.post(reverse("portal:endpoint-add"), {"kind": "http", "url": ""})
    assert refused.status_code == 400 and refused.context["form"].errors["url"]


def test_the_template_fields_only_while_body_templates_are_on(alice, catalogue):
    assert 'name="body_template"' not in alice.get(reverse("portal:endpoint-add")).content.decode()
    with override_settings(WEBHOOKS_BODY_TEMPLATES=True):
        assert 'name="body_template"' in alice.get(reverse("portal:endpoint-add")).content.decode()
        answer = alice.post(reverse("portal:endpoint-add"), {
            **FORM, "payload_format": "", "body_template": '{"text": {{ type | tojson }}}',
            "content_type": "application/json"})
        assert answer.status_code == 302, answer.content.decode()
    assert Endpoint.objects.get(url=FORM["url"]).body_template == '{"text": {{ type | tojson }}}'
