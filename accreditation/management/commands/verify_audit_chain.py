from django.core.management.base import BaseCommand, CommandError

from accreditation.audit import audit_verify_chain
from accreditation.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit non-zero naming the first bad event."

    def handle(self, *args, **options) -> None:
        problem = audit_verify_chain()
        if problem is not None:
            raise CommandError(
                f"Audit chain broken at event #{problem.event_id}: {problem.message}"
            )
        self.stdout.write(f"Audit chain verified: {AuditEvent.objects.count()} events.")
