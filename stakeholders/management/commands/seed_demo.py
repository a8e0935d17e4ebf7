import importlib.util

from django.core.management.base import BaseCommand

from stakeholders.demo import seed_registry
from stakeholders.models import Relationship, Stakeholder


class Command(BaseCommand):
    help = (
        "Load the demo world (idempotent): fictional stakeholders with valid identifiers, "
        "relationships, demo users with a fixed published password (demo data only) and one "
        "demo API key, printed at the end."
    )

    def handle(self, **options):
        world = seed_registry()
        # Later work adds demo applications and authorisations next to the registry.
        if importlib.util.find_spec("accreditation.demo") is not None:
            from accreditation import demo as accreditation_demo

            seed = getattr(accreditation_demo, "seed_accreditation", None)
            if seed is not None:
                seed(world)
        countries = Stakeholder.objects.values("country").distinct().count()
        self.stdout.write(
            f"Demo registry: {Stakeholder.objects.count()} stakeholders in {countries} countries "
            f"({world.created} new), {Relationship.objects.count()} relationships."
        )
        self.stdout.write("Demo logins (DEMO DATA ONLY, fixed password):")
        for username, kind, password in world.logins:
            self.stdout.write(f"  {kind:<10} {username:<18} {password}")
        self.stdout.write("Demo risk-engine API key (send as 'Authorization: Api-Key <key>'):")
        self.stdout.write(world.api_key)
