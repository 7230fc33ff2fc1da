"""The webhook portal, mounted for the shop's signed-in account owners: each sees only its own account's."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from subscriptions import create_endpoint, ensure_event_type

from shop.models import Account


def _owner(account, username):
    user = User.objects.create_user(username=username)
    account.owners.add(user)
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def two_accounts(db):
    ensure_event_type("order.paid", description="An order was paid.")
    acme = Account.objects.create(uid="acme", name="Acme Corp")
    globex = Account.objects.create(uid="globex", name="Globex")
    return {"acme": create_endpoint("acme", url="https://acme.example.com/hooks"),
            "globex": create_endpoint("globex", url="https://globex.example.com/hooks"),
            "acme_owner": _owner(acme, "ann"), "globex_owner": _owner(globex, "gus")}


def test_the_portal_is_mounted_under_the_shops_prefix():
    assert reverse("portal:endpoints") == "/account/webhooks/"


def test_an_owner_sees_only_their_accounts_endpoints(two_accounts):
    page = two_accounts["acme_owner"].get("/account/webhooks/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "acme.example.com" in text and "globex.example.com" not in text and "Shop" in text


def test_one_account_cannot_open_anothers_endpoint(two_accounts):
    ann, globex_endpoint = two_accounts["acme_owner"], two_accounts["globex"]
    assert ann.get(reverse("portal:endpoint", args=[globex_endpoint.pk])).status_code == 404
    assert ann.post(reverse("portal:endpoint-delete", args=[globex_endpoint.pk])).status_code == 404
    assert ann.post(reverse("portal:endpoint-secret", args=[globex_endpoint.pk])).status_code == 404
    globex_endpoint.refresh_from_db()
    assert globex_endpoint.url == "https://globex.example.com/hooks"


def test_an_owner_adds_an_endpoint_to_their_own_account(two_accounts):
    answer = two_accounts["globex_owner"].post("/account/webhooks/endpoints/new/", {
        "url": "https://gus.example.com/in", "event_types": ["order.paid"]})
    assert answer.status_code == 302
    assert [e.url for e in two_accounts["globex"].tenant.endpoints.order_by("url")] == [
        "https://globex.example.com/hooks", "https://gus.example.com/in"]


def test_signed_out_visitors_and_users_without_an_account_get_403(two_accounts):
    assert Client().get("/account/webhooks/").status_code == 403
    stranger = Client()
    stranger.force_login(User.objects.create_user(username="nobody"))
    assert stranger.get("/account/webhooks/").status_code == 403
