from django.core.management.base import BaseCommand
from rest_framework_api_key.models import APIKey


class Command(BaseCommand):
    help = (
        "Create a risk-engine API key and print it as the last line of output. The key is "
        "stored hashed and shown only once; send it as 'Authorization: Api-Key <key>'. "
        "Revoke it in the admin (API keys)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the key, e.g. 'risk-engine-prod'.")

    def handle(self, name, **options):
        api_key, key = APIKey.objects.create_key(name=name)
        self.stdout.write(f"Created API key '{name}' (prefix {api_key.prefix}). It is shown once:")
        self.stdout.write(key)
