"""Every answer under the API's prefix is JSON in the error shape, whatever fails before a view runs."""

import http.client
import sys
import types

import pytest
from django.test import Client, override_settings

from tests.api import shell_urls

# Module objects for the hosts' URLconfs (ROOT_URLCONF names a module).
for _name, _host in {"host_urls": shell_urls.Host, "host_sharing_urls": shell_urls.SharingHost}.items():
    sys.modules[f"tests.api.{_name}"] = types.ModuleType(f"tests.api.{_name}")
    sys.modules[f"tests.api.{_name}"].urlpatterns = _host.urlpatterns


def assert_json_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response.content[:300]
    body = response.json()
    assert body == {"non_field_errors": [body["non_field_errors"][0]]} if status == 400 else set(body) == {"detail"}
    return body


def test_a_bad_host_header_over_real_http_gets_json(live_server):
    """Found on a fresh machine: schemathesis sent `Host: v:` and got Django's HTML 400 page."""
    connection = http.client.HTTPConnection(live_server.thread.host, live_server.thread.port, timeout=10)
    connection.putrequest("GET", "/api/v1/tenants/", skip_host=True)
    connection.putheader("Host", "v:")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 400
    assert response.getheader("Content-Type") == "application/json"
    assert b"non_field_errors" in response.read()


def test_a_disallowed_host_gets_json_under_api_and_html_elsewhere(db):
    assert_json_error(Client().get("/api/v1/event-types/", HTTP_HOST="evil.example"), 400)
    assert "text/html" in Client().get("/admin/", HTTP_HOST="evil.example")["Content-Type"]


@pytest.mark.parametrize("path", ["/api/", "/api/nothing", "/api/v2/tenants/", "/api/v1/nothing/here/"])
def test_unknown_routes_under_the_prefix_get_a_json_404(db, path):
    assert_json_error(Client().get(path, HTTP_HOST="localhost"), 404)


def test_a_wrong_method_gets_a_json_405(db):
    response = Client().put("/api/schema/", HTTP_HOST="localhost")
    assert_json_error(response, 405)


@override_settings(ROOT_URLCONF="tests.api.shell_urls")
def test_a_server_error_gets_a_json_500_that_names_no_internals(db):
    response = Client(raise_request_exception=False).get("/api/crash/", HTTP_HOST="localhost")
    body = assert_json_error(response, 500)
    assert "boom" not in body["detail"]


@override_settings(ROOT_URLCONF="tests.api.shell_urls", DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_body_gets_json(db):
    response = Client().post("/api/form/", data="a=" + "x" * 5000, content_type="application/x-www-form-urlencoded",
                             HTTP_HOST="localhost")
    assert_json_error(response, 400)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_body_on_an_api_route_gets_json(platform):
    response = platform.post("/api/v1/event-types/", data='{"name": "' + "x" * 5000 + '"}',
                             content_type="application/json")
    assert_json_error(response, 400)


@override_settings(ROOT_URLCONF="tests.api.host_urls")
def test_a_host_mounting_the_api_under_its_own_prefix_gets_json_there(db):
    """The host keeps Django's HTML handlers; ApiErrorsMiddleware makes its /hooks/api/ answers JSON."""
    client = Client(raise_request_exception=False)
    assert_json_error(client.get("/hooks/api/v1/event-types/", HTTP_HOST="evil.example"), 400)
    assert_json_error(client.get("/hooks/api/nowhere", HTTP_HOST="localhost"), 404)
    assert_json_error(client.get("/hooks/api/crash/", HTTP_HOST="localhost"), 500)
    assert "text/html" in client.get("/elsewhere", HTTP_HOST="localhost")["Content-Type"]


@pytest.mark.parametrize("value", [1.5, 3, True, "invoice.paid"])
def test_event_types_of_the_wrong_type_are_a_400(acme_key, invoice_paid_type, value):
    """Found by schemathesis under the fixed seed: a number as event_types was a 500 (list(1.5)), a string
    was split into characters."""
    response = acme_key.post("/api/v1/tenants/acme/endpoints/",
                             {"url": "https://127.0.0.1:9/hook", "event_types": value}, format="json")
    assert response.status_code == 400, response.content
    assert "event_types" in response.json()


@override_settings(ROOT_URLCONF="tests.api.host_sharing_urls")
def test_a_host_route_under_the_same_prefix_still_answers(db):
    """Mounting the API must not swallow the host's own routes under the same prefix."""
    assert Client().get("/api/shop/", HTTP_HOST="localhost").content == b"the host's own page"
    assert_json_error(Client().get("/api/nothing", HTTP_HOST="localhost"), 404)



def test_event_types_as_a_string_says_a_list_is_expected(acme_key, invoice_paid_type):
    response = acme_key.post("/api/v1/tenants/acme/endpoints/",
                             {"url": "https://127.0.0.1:9/hook", "event_types": "invoice.*"}, format="json")
    assert response.status_code == 400
    assert response.json()["event_types"] == [
        "event_types must be a list, e.g. [\"invoice.paid\", \"order.*\"], not a string ('invoice.*')."]
