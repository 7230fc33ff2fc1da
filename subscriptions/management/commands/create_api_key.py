from django.core.management.base import BaseCommand

from subscriptions.api_keys import create_api_key


class Command(BaseCommand):
    help = "Create an API key; prints the key alone on the last line (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Tenant uid; without it the key is a platform key.")
        parser.add_argument("--name", default="", help="A name to tell the key apart.")

    def handle(self, *args, tenant=None, name="", **options):
        api_key, key = create_api_key(tenant=tenant, name=name)
        scope = f"tenant {api_key.tenant.uid}" if api_key.tenant else "the platform"
        self.stderr.write(f"Created API key {api_key.prefix}… for {scope}.")
        self.stdout.write(key)
