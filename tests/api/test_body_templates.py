"""The endpoint's ``body_template`` and ``content_type`` over the API, in Python and in the admin, and the
``template-preview/`` route."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from subscriptions import create_endpoint
from subscriptions.models import Endpoint

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tenants/acme/endpoints/"
URL = "https://127.0.0.1:8443/hooks"
SLACK = '{"text": {{ ("Invoice " ~ data.invoice_id ~ " paid") | tojson }}}'


@pytest.fixture
def templates_on(settings):
    settings.WEBHOOKS_BODY_TEMPLATES = True


def test_templates_are_off_unless_the_setting_is_on(platform, acme):
    response = platform.post(BASE, {"url": URL, "body_template": SLACK}, format="json")
    assert response.status_code == 400 and "Body templates are off" in response.json()["body_template"][0]
    with pytest.raises(ValidationError):
        create_endpoint("acme", url=URL, body_template=SLACK)
    plain = platform.post(BASE, {"url": URL, "body_template": ""}, format="json")
    assert plain.status_code == 201 and plain.json()["body_template"] == "" and plain.json()["content_type"] == ""


def test_a_template_is_saved_and_shown(platform, acme, templates_on):
    created = platform.post(BASE, {"url": URL, "body_template": SLACK, "content_type": "application/json"},
                            format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["body_template"] == SLACK and Endpoint.objects.get().body_template == SLACK


@pytest.mark.parametrize("fields,field,says", [
    ({"body_template": "{% for x in %}"}, "body_template", "syntax error on line 1"),
    ({"body_template": "{{ ''.__class__.__mro__ }}"}, "body_template", "may not use"),
    ({"body_template": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"},
     "body_template", "longer than 0.5 s"),
    ({"body_template": "{% for a in range(100000) %}yyyyyyyyyy{% endfor %}"}, "body_template", "over 65536 bytes"),
    ({"body_template": ["x"]}, "body_template", "Not a valid string"),
    ({"content_type": "json"}, "content_type", "media type"),
])
def test_a_bad_template_or_content_type_answers_400_naming_it(platform, acme, templates_on, fields, field, says):
    response = platform.post(BASE, {"url": URL} | fields, format="json")
    assert response.status_code == 400 and list(response.json()) == [field], response.json()
    assert says in response.json()[field][0]


def test_template_preview(platform, acme, templates_on):
    endpoint = create_endpoint("acme", url=URL, event_types=[], body_template=SLACK)
    url = f"{BASE}{endpoint.pk}/template-preview/"
    saved = platform.post(url, {"data": {"invoice_id": "in_1"}}, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json() == {"body": '{"text": "Invoice in_1 paid"}', "content_type": "application/json"}
    tried = platform.post(url, {"body_template": "{{ type }}/{{ id }}", "content_type": "text/plain",
                                "event_type": "invoice.paid"}, format="json")
    assert tried.json() == {"body": "invoice.paid/msg_example", "content_type": "text/plain"}
    assert Endpoint.objects.get().body_template == SLACK  # nothing saved
    for template, says in [("Invoice {{ data.invoice_id }}", "not JSON"), ("{{ data.a.b }}", "UndefinedError"),
                           ("{{ self.__init__ }}", "may not use"), ("{% if %}", "syntax error")]:
        failed = platform.post(url, {"body_template": template}, format="json")
        assert failed.status_code == 400 and says in failed.json()["body_template"][0], (template, failed.json())
    plain = create_endpoint("acme", url=URL)
    assert platform.post(f"{BASE}{plain.pk}/template-preview/", {}, format="json").status_code == 400


def test_the_admin_form_saves_and_refuses_templates(admin_client, acme, templates_on):
    endpoint = create_endpoint("acme", url="https://hooks.example.com/in")
    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk])
    page = admin_client.get(change).content
    assert b"Body template" in page and b"Content type" in page
    form = {"url": "https://hooks.example.com/in", "event_types": "[]", "metadata": "{}"}
    refused = admin_client.post(change, form | {"body_template": "{{ ''.__class__ }}"})
    assert refused.status_code == 200 and b"may not use" in refused.content
    saved = admin_client.post(change, form | {"body_template": SLACK, "content_type": "application/json"})
    assert saved.status_code == 302 and Endpoint.objects.get(pk=endpoint.pk).body_template == SLACK
