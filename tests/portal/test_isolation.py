"""Another tenant's ids answer 404 on every page and action; nothing of theirs changes."""

import pytest
from django.urls import reverse

from delivery.models import Event
from delivery.operations import send_test_event
from subscriptions.models import Endpoint, SecretAccess

pytestmark = pytest.mark.django_db

ENDPOINT_PAGES = [("GET", "portal:endpoint"), ("GET", "portal:endpoint-edit"), ("POST", "portal:endpoint-edit"),
                  ("GET", "portal:endpoint-delete"), ("POST", "portal:endpoint-delete"),
                  ("POST", "portal:endpoint-disable"), ("POST", "portal:endpoint-enable"),
                  ("POST", "portal:endpoint-secret"), ("POST", "portal:endpoint-rotate"),
                  ("POST", "portal:endpoint-send-test")]


@pytest.mark.parametrize("method, name", ENDPOINT_PAGES)
def test_bobs_endpoint_is_404_for_alice(alice, bob_endpoint, method, name):
    url = reverse(name, args=[bob_endpoint.pk])
    answer = alice.get(url) if method == "GET" else alice.post(url, {"url": "https://x.example.com",
                                                                     "event_type": "invoice.paid"})
    assert answer.status_code == 404
    bob_endpoint.refresh_from_db()
    assert not bob_endpoint.disabled and bob_endpoint.url == "https://bob.example.com/hooks"
    assert not SecretAccess.objects.exists() and not Event.objects.exists()


def test_bobs_test_event_is_404_for_alice(alice, bob_endpoint, alice_endpoint):
    event = send_test_event(bob_endpoint, "invoice.paid")
    assert alice.get(reverse("portal:endpoint-test", args=[bob_endpoint.pk, event.pk])).status_code == 404
    assert alice.get(reverse("portal:endpoint-test", args=[alice_endpoint.pk, event.pk])).status_code == 404


def test_unknown_ids_are_404(alice):
    assert alice.get(reverse("portal:endpoint", args=["ep_nothing"])).status_code == 404
    assert Endpoint.objects.count() == 0


def test_a_404_is_the_portals_own_page_with_its_headers(alice, bob_endpoint):
    answer = alice.get(reverse("portal:endpoint", args=[bob_endpoint.pk]))
    assert answer.status_code == 404 and b"There is no such page here." in answer.content
    assert answer["Content-Security-Policy"] == "frame-ancestors 'none'"
