"""Creating and redeeming one-time portal links (the domain functions the API route calls)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from subscriptions.models import PortalLink
from subscriptions.portal_links import create_portal_link, purge_portal_links, redeem_portal_link

pytestmark = pytest.mark.django_db


def test_a_link_redeems_once():
    link, token = create_portal_link("acme", read_only=True)
    redeemed = redeem_portal_link(token)
    assert redeemed.pk == link.pk and redeemed.tenant.uid == "acme" and redeemed.read_only
    with pytest.raises(ValidationError):
        redeem_portal_link(token)


def test_an_expired_link_does_not_redeem():
    _, token = create_portal_link("acme", expires_in=5)
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError):
        redeem_portal_link(token)


@pytest.mark.parametrize("expires_in", [0, -5, 86401, 1.5, True, "60"])
def test_expires_in_out_of_range_is_refused(expires_in):
    with pytest.raises(ValidationError) as refused:
        create_portal_link("acme", expires_in=expires_in)
    assert "expires_in" in refused.value.message_dict


def test_default_age_comes_from_the_setting(settings):
    settings.WEBHOOKS_PORTAL_LINK_AGE = 120
    link, _ = create_portal_link("acme")
    assert timedelta(seconds=115) < link.expires_at - timezone.now() <= timedelta(seconds=120)


def test_dead_links_are_purged():
    create_portal_link("acme")
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    create_portal_link("acme")
    assert PortalLink.objects.count() == 1 and purge_portal_links() == 0
