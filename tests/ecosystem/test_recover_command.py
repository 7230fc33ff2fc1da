"""``webhooks_recover``: an endpoint's failed deliveries go out again, with progress on a terminal."""

import io

import pytest
from django.core.management import CommandError, call_command

from delivery.models import Delivery, Event
from subscriptions import create_endpoint, ensure_event_type


@pytest.fixture
def failed(db, settings):
    settings.WEBHOOKS_BATCH_SIZE = 4
    ensure_event_type("invoice.paid")
    endpoint = create_endpoint("org_r", url="http://127.0.0.1:9/hook")
    for _ in range(10):
        event = Event.objects.create(tenant=endpoint.tenant, event_type="invoice.paid", body="{}")
        Delivery.objects.create(event=event, endpoint=endpoint, tenant=endpoint.tenant, status="failed")
    return endpoint


def test_recover_claims_every_failed_delivery_and_draws_a_bar(failed, handed_over, capsys):
    out = io.StringIO()
    call_command("webhooks_recover", failed.pk, "--since", "1d", "--progress", stdout=out)

    assert f"resending 10 failed deliveries to {failed.pk}" in out.getvalue()
    # Due now, for the dispatcher (one statement, however many: M7).
    assert Delivery.objects.filter(endpoint=failed, status="retrying", next_attempt_at__isnull=False).count() == 10
    bar = capsys.readouterr().err
    assert bar.endswith("        10/10\n")


def test_recover_explains_bad_input(failed):
    with pytest.raises(CommandError, match="no endpoint"):
        call_command("webhooks_recover", "ep_missing", "--since", "1d")
    with pytest.raises(CommandError, match="neither an ISO time"):
        call_command("webhooks_recover", failed.pk, "--since", "yesterday")
    with pytest.raises(CommandError, match="in the past"):
        call_command("webhooks_recover", failed.pk, "--since", "2999-01-01T00:00:00")
