from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from subscriptions.api_keys import create_api_key
from subscriptions.models import ApiKey
from subscriptions.validation import validate_tenant_uid, validate_text


class Command(BaseCommand):
    help = "Create an API key; prints the key alone on the last line (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Tenant uid; without it the key is a platform key.")
        parser.add_argument("--name", default="", help="A name to tell the key apart.")

    def handle(self, *args, tenant=None, name="", **options):
        try:
            validate_text(name, "--name", ApiKey._meta.get_field("name").max_length)
            if tenant is not None:
                validate_tenant_uid(tenant)
            api_key, key = create_api_key(tenant=tenant, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        scope = f"tenant {api_key.tenant.uid}" if api_key.tenant else "the platform"
        self.stderr.write(f"Created API key {api_key.prefix}… for {scope}.")
        self.stdout.write(key)
