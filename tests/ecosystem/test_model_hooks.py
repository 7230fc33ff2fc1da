"""Model hooks: a host's model changes publish events in its transaction, sent only after commit."""

import json
import time

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from rest_framework import serializers
from standardwebhooks.webhooks import Webhook

from delivery.model_hooks import unregister, webhook_on
from delivery.models import Event
from subscriptions import create_endpoint, ensure_event_type, reveal_secret


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "email"]


@pytest.fixture
def user_hooks(db):
    for name in ("user.created", "user.updated", "user.deleted"):
        ensure_event_type(name)
    hook = webhook_on(User, created="user.created", updated="user.updated", deleted="user.deleted",
                      data=UserSerializer, tenant=lambda user: "org_users",
                      when=lambda user, action: not user.username.startswith("quiet"))
    yield hook
    unregister(User)


def events(event_type=None):
    found = Event.objects.filter(event_type=event_type) if event_type else Event.objects.all()
    return [json.loads(e.body)["data"] for e in found.order_by("id")]


def test_create_update_delete_publish_with_the_serializer(user_hooks):
    user = User.objects.create(username="ada", email="ada@example.com")
    user.email = "ada@lovelace.org"
    user.save()
    user.delete()

    assert events("user.created") == [{"username": "ada", "email": "ada@example.com"}]
    assert events("user.updated") == [{"username": "ada", "email": "ada@lovelace.org"}]
    assert events("user.deleted") == [{"username": "ada", "email": "ada@lovelace.org"}]
    assert {e.tenant.uid for e in Event.objects.all()} == {"org_users"}


def test_nothing_is_handed_over_before_commit_and_nothing_kept_on_rollback(user_hooks, handed_over,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            User.objects.create(username="grace")
            assert Event.objects.count() == 1 and handed_over == []
    assert [call[0] for call in handed_over] == ["fan_out"]

    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.create(username="linus")
        raise RuntimeError("rolled back")
    assert events("user.created") == [{"username": "grace", "email": ""}]


def test_a_function_builds_the_data_and_when_can_veto(db):
    ensure_event_type("user.created")
    webhook_on(User, created="user.created", data=lambda user: {"id": user.pk, "name": user.username.upper()},
               tenant=lambda user: "org_users", when=lambda user, action: not user.username.startswith("quiet"))
    try:
        user = User.objects.create(username="alan")
        User.objects.create(username="quiet-bot")
        user.save()  # no updated type registered: nothing
    finally:
        unregister(User)
    User.objects.create(username="after-unregister")
    assert events() == [{"id": user.pk, "name": "ALAN"}]


def test_registering_needs_an_event_type():
    with pytest.raises(ValueError):
        webhook_on(User, tenant=lambda user: "org_users")


@pytest.mark.e2e
def test_committed_changes_arrive_signed_and_rolled_back_ones_never(live_worker, receiver):
    ensure_event_type("user.created")
    endpoint = create_endpoint("org_users", url=receiver.url("/users"))
    webhook_on(User, created="user.created", data=UserSerializer, tenant=lambda user: "org_users")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            User.objects.create(username="rolled-back")
            raise RuntimeError("rolled back")
        with transaction.atomic():
            User.objects.create(username="committed", email="c@example.com")
    finally:
        unregister(User)

    got = receiver.wait_for(1, "/users")
    time.sleep(1.5)  # time for a wrongly sent rolled-back event to show up
    got = receiver.to("/users")
    assert len(got) == 1
    payload = Webhook(reveal_secret(endpoint)).verify(got[0].body, got[0].headers)
    assert payload["type"] == "user.created"
    assert payload["data"] == {"username": "committed", "email": "c@example.com"}
