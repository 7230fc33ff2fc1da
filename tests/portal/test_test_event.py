"""Send test event: a chosen type to one endpoint, then the page with the attempt's result."""

import json

import pytest
from django.urls import reverse

from delivery.models import Delivery, Event

pytestmark = pytest.mark.django_db


def test_send_test_event_of_a_chosen_type(alice, alice_endpoint, bob_endpoint):
    page = alice.get(reverse("portal:endpoint", args=[alice_endpoint.pk])).content.decode()
    assert ">Send test event<" in page and '<option value="call.ended">' in page
    answer = alice.post(reverse("portal:endpoint-send-test", args=[alice_endpoint.pk]), {"event_type": "call.ended"})
    event = Event.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("portal:endpoint-test", args=[alice_endpoint.pk, event.pk])
    assert event.event_type == "call.ended" and event.tenant.uid == "org_alice"
    [delivery] = Delivery.objects.all()
    assert delivery.endpoint_id == alice_endpoint.pk  # that endpoint only
    waiting = alice.get(answer["Location"]).content.decode()
    assert "this page reloads itself" in waiting and 'http-equiv="refresh"' in waiting


def test_the_result_page_shows_the_attempt(alice, alice_endpoint):
    from tests.admin.conftest import make_attempt

    alice.post(reverse("portal:endpoint-send-test", args=[alice_endpoint.pk]), {"event_type": "invoice.paid"})
    delivery = Delivery.objects.get()
    make_attempt(delivery, ok=False, status=503, duration_ms=87)
    page = alice.get(reverse("portal:endpoint-test", args=[alice_endpoint.pk, delivery.event_id])).content.decode()
    assert "Failed" in page and "503" in page and "87 ms" in page and 'http-equiv="refresh"' not in page


def test_an_unknown_type_is_refused_on_the_page(alice, alice_endpoint):
    answer = alice.post(reverse("portal:endpoint-send-test", args=[alice_endpoint.pk]), {"event_type": "nope"})
    assert answer.status_code == 400 and not Event.objects.exists()


@pytest.mark.e2e
def test_a_real_worker_sends_it_and_the_page_shows_the_attempt(live_worker, receiver, client, host_portal):
    from django.contrib.auth.models import User

    from subscriptions import create_endpoint, ensure_event_type
    from tests.worker import wait_until

    ensure_event_type("call.ended", description="A call ended.")
    endpoint = create_endpoint("org_carol", url=receiver.url("/carol"))
    client.force_login(User.objects.create_user(username="carol"))
    answer = client.post(reverse("portal:endpoint-send-test", args=[endpoint.pk]), {"event_type": "call.ended"})
    [got] = receiver.wait_for(1, "/carol")
    assert json.loads(got.body)["type"] == "call.ended"
    wait_until(lambda: Delivery.objects.filter(endpoint=endpoint, status="succeeded").exists(), timeout=30,
               what="the attempt to be recorded")
    page = client.get(answer["Location"]).content.decode()
    assert "Succeeded" in page and "<td data-label=\"Response status\">200</td>" in page
