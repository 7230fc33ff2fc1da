"""Failover: a silent worker node's leases lapse at once; a live node, however slow, keeps its own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import dispatcher, heartbeat, node, states
from delivery.models import Delivery, WorkerNode
from subscriptions import create_endpoint

pytestmark = pytest.mark.django_db
S = Delivery.Status


@pytest.fixture
def settings_heartbeat(settings):
    settings.WEBHOOKS_HEARTBEAT_INTERVAL = 2
    settings.WEBHOOKS_HEARTBEAT_TIMEOUT = 10
    settings.WEBHOOKS_QUEUE_LEASE = 120


def leased(make_delivery, endpoint_url, *, node_name="", started=True, claimed_ago=30, now):
    """A delivery being sent by ``node_name`` (or queued) under a lease claimed ``claimed_ago`` s before ``now``."""
    claimed = now - timedelta(seconds=claimed_ago)
    until = now + timedelta(seconds=60) if started else claimed + timedelta(seconds=120)
    return make_delivery(S.SENDING, to=create_endpoint("org_42", url=endpoint_url), lease_token=f"t{claimed_ago}",
                         lease_node=node_name, send_started_at=claimed if started else None, lease_expires_at=until)


def test_a_silent_nodes_leases_lapse_and_a_live_slow_nodes_stay(make_delivery, settings_heartbeat):
    now = timezone.now()
    WorkerNode.objects.create(node="dead#1", last_seen=now - timedelta(seconds=40))
    WorkerNode.objects.create(node="slow#2", last_seen=now - timedelta(seconds=1))
    dead_sending = leased(make_delivery, "http://127.0.0.1:9/a", node_name="dead#1", now=now)
    slow_sending = leased(make_delivery, "http://127.0.0.1:9/b", node_name="slow#2", claimed_ago=300, now=now)
    queued_before = leased(make_delivery, "http://127.0.0.1:9/c", started=False, claimed_ago=45, now=now)
    queued_after = leased(make_delivery, "http://127.0.0.1:9/d", started=False, claimed_ago=5, now=now)

    assert heartbeat.release_silent(now) == 2
    lapsed = {d.pk for d in Delivery.objects.filter(lease_expires_at__lt=now)}
    assert lapsed == {dead_sending.pk, queued_before.pk}
    assert slow_sending.pk not in lapsed and queued_after.pk not in lapsed
    assert list(WorkerNode.objects.values_list("node", flat=True)) == ["slow#2"]
    ids, _ = states.claim_expired(50, now)
    assert set(ids) == lapsed


def test_nothing_is_released_while_every_node_announces(make_delivery, settings_heartbeat):
    now = timezone.now()
    WorkerNode.objects.create(node="a#1", last_seen=now - timedelta(seconds=9))
    make_delivery(S.SENDING, lease_token="t", lease_node="a#1", send_started_at=now,
                  lease_expires_at=now + timedelta(seconds=60))
    assert heartbeat.release_silent(now) == 0
    assert WorkerNode.objects.count() == 1


def test_the_dispatcher_tick_releases_before_it_claims(make_delivery, handed_over, settings_heartbeat):
    now = timezone.now()
    WorkerNode.objects.create(node="gone#1", last_seen=now - timedelta(seconds=60))
    delivery = make_delivery(S.SENDING, lease_token="old", lease_node="gone#1", send_started_at=now,
                             lease_expires_at=now + timedelta(seconds=60))
    counts = dispatcher.dispatch(now)
    assert counts["lapsed"] == 1 and [c[1] for c in handed_over if c[0] == "batch"] == [[delivery.pk]]


def test_a_node_announces_and_withdraws(monkeypatch):
    monkeypatch.setattr(node, "_name", "celery@here#abc")
    heartbeat.announce()
    first = WorkerNode.objects.get().last_seen
    heartbeat.announce(first + timedelta(seconds=2))
    assert WorkerNode.objects.get(node="celery@here#abc").last_seen == first + timedelta(seconds=2)
    heartbeat.withdraw()
    assert not WorkerNode.objects.exists()


def test_a_restarted_node_of_the_same_name_is_another_node():
    assert node.become("celery@host") != node.become("celery@host")


def test_start_marks_the_batch_with_its_node(make_delivery, monkeypatch):
    monkeypatch.setattr(node, "_name", "w#1")
    now = timezone.now()
    mine = make_delivery(S.SENDING, lease_token="tok", lease_expires_at=now + timedelta(seconds=60))
    rows = states.start([mine.pk], "tok", now)
    assert [r.pk for r in rows] == [mine.pk]
    assert Delivery.objects.get(pk=mine.pk).lease_node == "w#1"
