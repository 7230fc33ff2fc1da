"""manage.py webhooks_portal_link: what dev.py run prints, and what a host's operator can run."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_prints_a_link_that_opens_the_tenants_portal(client, capsys):
    call_command("webhooks_portal_link", "demo", "--base-url", "http://127.0.0.1:8000/")
    url = capsys.readouterr().out.strip()
    assert url.startswith("http://127.0.0.1:8000/webhooks/enter/hpl_")
    assert client.post(url.removeprefix("http://127.0.0.1:8000")).status_code == 302
    assert client.get(reverse("portal:endpoints")).wsgi_request.portal_tenant.uid == "demo"


def test_bad_options_are_a_command_error():
    with pytest.raises(CommandError):
        call_command("webhooks_portal_link", "demo", "--expires-in", "0")
    with pytest.raises(CommandError):
        call_command("webhooks_portal_link", "not a uid!")
