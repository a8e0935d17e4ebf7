import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from stakeholders.services import staff_user_upsert


class Command(BaseCommand):
    help = (
        "Create or update a customs officer or supervisor (is_staff, admin permissions). "
        "The password comes from AEO_STAFF_PASSWORD, else a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=["officer", "supervisor"])
        parser.add_argument("--email", default="")

    def handle(self, username, role, email, **options):
        password = os.environ.get("AEO_STAFF_PASSWORD")
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            user, created = staff_user_upsert(username, role, password, email)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {role} '{user.username}'."))
