"""A polling endpoint beside an http one, with a real worker: the consumer pulls every event, in order,
also after a day away; the purge keeps what it has not read for the retention window."""

from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from delivery import publish, retention
from delivery.models import Delivery, Event
from subscriptions import create_endpoint, ensure_event_type, reveal_secret
from subscriptions.api_keys import create_api_key
from tests.api.conftest import client_with
from tests.worker import wait_until

pytestmark = pytest.mark.e2e
DAY = timedelta(days=1)


class Consumer:
    """A receiver without a public URL: it pulls, verifies, stores, and commits by passing its cursor."""

    def __init__(self, endpoint):
        self.client = client_with(create_api_key(tenant=endpoint.tenant, name="consumer")[1])
        self.url = f"/api/v1/tenants/{endpoint.tenant.uid}/endpoints/{endpoint.pk}/poll/"
        self.webhook = Webhook(reveal_secret(endpoint))
        self.cursor = None
        self.stored = []  # (id, body)

    def drain(self, limit=4):
        while True:
            query = f"?limit={limit}" + (f"&cursor={self.cursor}" if self.cursor else "")
            page = self.client.get(self.url + query).json()
            for event in page["events"]:
                self.webhook.verify(event["body"], event["headers"])
                self.stored.append((event["id"], event["body"]))
            self.cursor = page["next_cursor"]
            if page["done"]:
                self.client.get(f"{self.url}?cursor={self.cursor}")  # commit the last page
                return


def age(events, by):
    """Move these events and their deliveries back in time (an outage that lasted ``by``)."""
    ids = [e.pk for e in events]
    for event in Event.objects.filter(pk__in=ids):
        Event.objects.filter(pk=event.pk).update(created_at=event.created_at - by)
    for delivery in Delivery.objects.filter(event_id__in=ids):
        Delivery.objects.filter(pk=delivery.pk).update(
            created_at=delivery.created_at - by,
            finished_at=delivery.finished_at - by if delivery.finished_at else None)


def publish_all(count, start=0):
    return [publish("invoice.paid", {"n": n}, tenant="org_1") for n in range(start, start + count)]


def test_polled_and_pushed_alike_in_order_also_after_a_day_away(live_worker, receiver):
    ensure_event_type("invoice.paid")
    pushed = create_endpoint("org_1", url=receiver.url("/push"))
    polled = create_endpoint("org_1", kind="polling", event_types=["invoice.*"])
    consumer = Consumer(polled)

    first = publish_all(6)
    got = receiver.wait_for(6, "/push")
    consumer.drain()
    assert [i for i, _ in consumer.stored] == [e.id for e in first]
    assert {r.headers["webhook-id"]: r.body.decode() for r in got} == dict(consumer.stored)  # the same bytes
    assert not Delivery.objects.filter(endpoint=polled).exclude(status="succeeded").exists()
    assert Delivery.objects.get(endpoint=pushed, event=first[0]).status == "succeeded"

    # The consumer is away for a day; the purge runs with a retention window of three days.
    away = publish_all(5, start=6)
    receiver.wait_for(11, "/push")
    wait_until(lambda: Delivery.objects.filter(endpoint=polled).count() == 11, what="kept for polling")
    age(away, DAY)
    report = retention.purge(3 * 86400)
    assert report.deleted["deliveries"] == 0
    consumer.drain()
    assert [i for i, _ in consumer.stored] == [e.id for e in first + away]
    assert not Delivery.objects.filter(endpoint=polled, attempt_count__gt=0).exists()  # never POSTed


def test_the_purge_keeps_unread_events_for_the_window(live_worker, receiver):
    ensure_event_type("invoice.paid")
    polled = create_endpoint("org_1", kind="polling")
    consumer = Consumer(polled)
    older, inside, fresh = publish_all(1), publish_all(1, start=1), publish_all(1, start=2)
    wait_until(lambda: Delivery.objects.filter(endpoint=polled).count() == 3, what="kept for polling")
    age(older, 4 * DAY)
    age(inside, 2 * DAY + timedelta(hours=23))

    retention.purge(3 * 86400)

    consumer.drain()
    assert [i for i, _ in consumer.stored] == [inside[0].id, fresh[0].id]
    assert not Event.objects.filter(pk=older[0].pk).exists()
