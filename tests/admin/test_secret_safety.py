"""The console and secrets: platform keys need their own permission (M8), reveals are audited (M8),
search cannot guess a hidden password (L1), credentials stay with their origin (M2), no secret prefix (I1)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from subscriptions import create_endpoint, ensure_event_type
from subscriptions.models import ApiKey, Endpoint, EndpointSecret, SecretAccess

PASSWORD = "s3cret-pass"


def _staff(client, *codenames):
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def test_minting_a_platform_key_needs_its_own_permission(db, client):
    """M8: staff with add_apikey mint tenant keys only; a platform key needs add_platform_key."""
    create_endpoint("org_1", url="https://hooks.example.com/in")
    staff = _staff(client, "add_apikey", "view_apikey", "view_tenant")
    add = reverse("admin:hookplatform_subscriptions_apikey_add")
    refused = staff.post(add, {"name": "everything"})
    assert refused.status_code == 200 and b"you may not mint platform keys" in refused.content
    assert not ApiKey.objects.exists()
    tenant_id = Endpoint.objects.get().tenant_id
    assert staff.post(add, {"name": "org-1 key", "tenant": tenant_id}).status_code == 200
    assert list(ApiKey.objects.values_list("name", "tenant_id")) == [("org-1 key", tenant_id)]
    User.objects.get(username="ops").user_permissions.add(Permission.objects.get(codename="add_platform_key"))
    minted = staff.post(add, {"name": "platform"})
    assert b"not be shown again" in minted.content and ApiKey.objects.get(name="platform").is_platform


def test_a_new_key_is_shown_on_its_page_not_in_the_messages_cookie(admin_client, db):
    """L10: the minted key is rendered on the answer itself; no cookie carries it."""
    response = admin_client.post(reverse("admin:hookplatform_subscriptions_apikey_add"), {"name": "ci"})
    key = response.content.decode().split('<code class="hp-secret">')[1].split("</code>")[0]
    assert key.startswith("hp_") and "no-store" in response["Cache-Control"]
    assert all(key not in morsel.value for morsel in response.cookies.values())
    assert "messages" not in response.cookies


def test_admin_reveal_and_rotation_are_audited_and_read_only(admin_client, client, db):
    """M8: the admin's reveal and rotation leave records naming the staff user; staff with the view
    permission read them; nobody edits or deletes them."""
    endpoint = create_endpoint("org_1", url="https://hooks.example.com/in")
    admin_client.post(reverse("admin:hookplatform_subscriptions_endpoint_secret", args=[endpoint.pk]))
    admin_client.post(reverse("admin:hookplatform_subscriptions_endpoint_act", args=[endpoint.pk, "rotate_secret"]),
                      {"confirm": "yes"})
    assert list(SecretAccess.objects.order_by("id").values_list("endpoint_id", "action", "actor")) == [
        (endpoint.pk, "reveal", "staff user admin"), (endpoint.pk, "rotate", "staff user admin")]
    viewer = _staff(client, "view_secretaccess")
    record = SecretAccess.objects.first()
    change = reverse("admin:hookplatform_subscriptions_secretaccess_change", args=[record.pk])
    changelist = reverse("admin:hookplatform_subscriptions_secretaccess_changelist")
    assert "staff user admin" in viewer.get(changelist).content.decode()
    assert viewer.post(change, {"actor": "someone else", "action": "reveal"}).status_code == 403
    assert admin_client.post(change, {"actor": "someone else", "action": "reveal"}).status_code == 403
    assert SecretAccess.objects.get(pk=record.pk).actor == "staff user admin"


def test_search_cannot_guess_a_hidden_password(admin_client, db):
    """L1: searching the endpoint list by URL matches the redacted form only."""
    create_endpoint("org_1", url=f"https://alice:{PASSWORD}@hooks.example.com/in")
    endpoints = reverse("admin:hookplatform_subscriptions_endpoint_changelist")
    for term, found in [("alice:s3", False), (PASSWORD, False), ("hooks.example", True), ("alice:<redacted>", True)]:
        page = admin_client.get(endpoints, {"q": term}).content.decode()
        assert ("hooks.example.com" in page) is found, term


def test_the_form_does_not_send_credentials_to_another_host(admin_client, db):
    """M2: an edit that keeps <redacted> but changes the host is refused; the stored URL stays."""
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_1", url=f"https://alice:{PASSWORD}@hooks.example.com/in")
    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk])
    page = admin_client.post(change, {"event_types": "[]", "metadata": "{}",
                                      "url": "https://alice:<redacted>@evil.example.com/in"})
    assert page.status_code == 200 and b"new origin" in page.content
    assert Endpoint.objects.get(pk=endpoint.pk).url_to_send() == f"https://alice:{PASSWORD}@hooks.example.com/in"


def test_no_part_of_a_secret_is_shown_to_staff(admin_client, db):
    """I1: neither the endpoint page nor a secret's name shows the ``whsec_`` prefix of the key."""
    from subscriptions import reveal_secret

    endpoint = create_endpoint("org_1", url="https://hooks.example.com/in")
    secret = reveal_secret(endpoint)
    change = reverse("admin:hookplatform_subscriptions_endpoint_change", args=[endpoint.pk])
    page = admin_client.get(change).content.decode()
    assert secret[:10] not in page and secret[6:10] not in str(EndpointSecret.objects.get())


@pytest.mark.parametrize("debug, errors", [(False, ["subscriptions.E001"]), (True, [])])
def test_production_refuses_to_start_without_encryption_keys(settings, debug, errors):
    """M9: with DEBUG off, no WEBHOOKS_ENCRYPTION_KEYS is a system check error saying what to set; with
    DEBUG on a key derived from SECRET_KEY is used."""
    from subscriptions import encryption
    from subscriptions.checks import check_encryption_keys

    settings.DEBUG, settings.WEBHOOKS_ENCRYPTION_KEYS = debug, ""
    found = check_encryption_keys()
    assert [e.id for e in found] == errors
    if found:
        assert "WEBHOOKS_ENCRYPTION_KEYS" in found[0].msg and "Fernet.generate_key" in found[0].hint
    else:
        assert encryption.decrypt(encryption.encrypt("x")) == "x"
    settings.WEBHOOKS_ENCRYPTION_KEYS = "not-a-key"
    assert [e.id for e in check_encryption_keys()] == ["subscriptions.E002"]
