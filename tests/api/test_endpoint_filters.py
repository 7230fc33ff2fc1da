"""The endpoint's content ``filter`` over the API, in Python and in the admin: saved, refused naming the
bad path or operator, tried with ``filter-test/``."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from subscriptions import create_endpoint, update_endpoint
from subscriptions.models import Endpoint

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tenants/acme/endpoints/"
BIG_EURO = {"data.amount": {"$gte": 1000}, "data.currency": {"$in": ["EUR", "USD"]}}


def create(client, **fields):
    return client.post(BASE, {"url": "https://127.0.0.1:8443/hooks"} | fields, format="json")


def test_a_filter_is_saved_shown_changed_and_cleared(platform, acme):
    created = create(platform, filter=BIG_EURO)
    assert created.status_code == 201, created.json()
    url = f"{BASE}{created.json()['id']}/"
    assert created.json()["filter"] == BIG_EURO == platform.get(url).json()["filter"]
    changed = platform.patch(url, {"filter": {"type": "invoice.paid"}}, format="json")
    assert changed.status_code == 200 and changed.json()["filter"] == {"type": "invoice.paid"}
    cleared = platform.patch(url, {"filter": None}, format="json")
    assert cleared.json()["filter"] is None and Endpoint.objects.get().filter is None
    assert create(platform).json()["filter"] is None  # the default: every event


@pytest.mark.parametrize("bad,named", [
    ({"data.amount": {"$gtt": 5}}, "data.amount.$gtt: unknown operator '$gtt'"),
    ({"amount": 5}, "amount: a path is 'type', or 'data'"),
    ({"$or": [{"type": "x"}, {"data.a": {"$in": "EUR"}}]}, "$or[1].data.a.$in: expected a list"),
    ("data.amount > 5", "filter must be a JSON object"),
    ({"data.a": "x" * 5000}, "over 4096 bytes"),
])
def test_a_bad_filter_answers_400_naming_the_path_or_operator(platform, acme, bad, named):
    response = create(platform, filter=bad)
    assert response.status_code == 400 and list(response.json()) == ["filter"], response.json()
    assert named in response.json()["filter"][0]
    assert not Endpoint.objects.exists()
    endpoint = create_endpoint("acme", url="https://127.0.0.1:8443/hooks", filter=BIG_EURO)
    patched = platform.patch(f"{BASE}{endpoint.pk}/", {"filter": bad}, format="json")
    assert patched.status_code == 400 and named in patched.json()["filter"][0]
    assert Endpoint.objects.get().filter == BIG_EURO


def test_python_functions_validate_the_filter(acme):
    with pytest.raises(ValidationError) as refused:
        create_endpoint("acme", url="https://127.0.0.1:8443/hooks", filter={"data.x": {"$regex": "."}})
    assert "data.x.$regex: unknown operator" in refused.value.message_dict["filter"][0]
    endpoint = create_endpoint("acme", url="https://127.0.0.1:8443/hooks", filter=BIG_EURO)
    with pytest.raises(ValidationError) as refused:
        update_endpoint(endpoint, filter={"$not": []})
    assert "$not: expected a filter object" in refused.value.message_dict["filter"][0]


def test_filter_test_answers_whether_an_event_passes(platform, acme):
    endpoint = create_endpoint("acme", url="https://127.0.0.1:8443/hooks", filter=BIG_EURO)
    url = f"{BASE}{endpoint.pk}/filter-test/"

    def answer(**body):
        response = platform.post(url, body, format="json")
        return response.status_code, response.json()

    assert answer(event_type="invoice.paid", data={"amount": 1200, "currency": "USD"}) == (200, {"matches": True})
    assert answer(event_type="invoice.paid", data={"amount": 12, "currency": "USD"}) == (200, {"matches": False})
    # A filter to try instead of the saved one; the saved one stays.
    assert answer(event_type="invoice.paid", data={"amount": 12}, filter={"data.amount": {"$lt": 100}}) \
        == (200, {"matches": True})
    assert Endpoint.objects.get().filter == BIG_EURO
    status, errors = answer(event_type="invoice.paid", data={}, filter={"data.amount": {"$between": [1, 2]}})
    assert status == 400 and "data.amount.$between: unknown operator" in errors["filter"][0]
    assert answer(event_type="invoice.paid", data=[1])[0] == 400
    assert answer(event_type="invoice.paid")[1] == {"data": ["This field is required."]}
    plain = create_endpoint("acme", url="https://127.0.0.1:8443/other")
    assert platform.post(f"{BASE}{plain.pk}/filter-test/", {"event_type": "x", "data": {}},
                         format="json").json() == {"matches": True}


def test_filter_test_is_scoped_to_the_tenant(acme_key, globex):
    other = create_endpoint("globex", url="https://127.0.0.1:8443/hooks")
    response = acme_key.post(f"/api/v1/tenants/globex/endpoints/{other.pk}/filter-test/",
                             {"event_type": "x", "data": {}}, format="json")
    assert response.status_code == 404


def test_the_admin_form_saves_and_refuses_filters(admin_client, acme):
    endpoint = create_endpoint("acme", url="https://hooks.example.com/in")
    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk])
    assert b"What it gets and in what shape" in admin_client.get(change).content
    form = {"url": "https://hooks.example.com/in", "event_types": "[]", "metadata": "{}"}
    refused = admin_client.post(change, form | {"filter": '{"data.amount": {"$gtt": 5}}'})
    assert refused.status_code == 200 and b"data.amount.$gtt: unknown operator" in refused.content
    saved = admin_client.post(change, form | {"filter": '{"data.amount": {"$gte": 5}}'})
    assert saved.status_code == 302
    assert Endpoint.objects.get(pk=endpoint.pk).filter == {"data.amount": {"$gte": 5}}
    add = admin_client.post(reverse("admin:hookplatform_subscriptions_endpoint_add"),
                            form | {"tenant": acme.pk, "url": "https://hooks.example.com/two",
                                    "filter": '{"type": "invoice.paid"}'})
    assert add.status_code == 302
    assert Endpoint.objects.get(url="https://hooks.example.com/two").filter == {"type": "invoice.paid"}
