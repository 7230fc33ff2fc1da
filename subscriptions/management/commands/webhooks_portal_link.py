from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch, reverse

from subscriptions.portal_links import create_portal_link


class Command(BaseCommand):
    help = ("Make a one-time link into a tenant's portal (the tenant is created if unknown); prints the URL alone "
            "on the last line.")

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="Tenant uid.")
        parser.add_argument("--base-url", default="", help="Where the site answers, such as http://127.0.0.1:8000.")
        parser.add_argument("--read-only", action="store_true", help="The portal shows, but changes nothing.")
        parser.add_argument("--expires-in", type=int, default=None, help="Seconds the link works.")

    def handle(self, *args, tenant, base_url="", read_only=False, expires_in=None, **options):
        try:
            path = reverse("portal:enter", args=["TOKEN"])
        except NoReverseMatch:
            raise CommandError("The portal is not mounted: include hookplatform.portal_urls in the URLconf.") from None
        try:
            link, token = create_portal_link(tenant, read_only=read_only, expires_in=expires_in)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(f"Portal link for tenant {link.tenant.uid}, works once, until {link.expires_at:%H:%M:%S} "
                          "UTC.")
        self.stdout.write(base_url.rstrip("/") + path.replace("TOKEN", token))
