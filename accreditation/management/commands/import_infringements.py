"""Import infringements from a CSV file (e.g. an export of the enforcement case system).

Columns: ``eori,date,severity,description,source`` (header row required). Each row goes
through the same service as the API and the admin, so it is audited; a row whose EORI is not
in the registry is reported and skipped. ``--dry-run`` checks the file without writing.
"""

import csv
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accreditation.models import InfringementSeverity
from accreditation.services import infringement_create
from stakeholders.identifiers import IdentifierType, InvalidIdentifier, normalise
from stakeholders.models import Identifier

COLUMNS = ("eori", "date", "severity", "description", "source")


class Command(BaseCommand):
    help = "Import infringements from a CSV file: eori,date,severity,description,source."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, path: str, dry_run: bool, **options) -> None:
        try:
            handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        imported, problems = 0, []
        with handle, transaction.atomic():
            reader = csv.DictReader(handle)
            missing = set(COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise CommandError(f"Missing columns: {', '.join(sorted(missing))}.")
            for line, row in enumerate(reader, start=2):
                try:
                    eori = normalise(IdentifierType.EORI, row["eori"])
                    identifier = Identifier.objects.filter(type="EORI", value=eori).first()
                    if identifier is None:
                        raise ValueError(f"EORI {eori} is not in the registry")
                    severity = row["severity"].strip().upper()
                    if severity not in InfringementSeverity.values:
                        raise ValueError(f"severity must be one of {InfringementSeverity.values}")
                    infringement_create(
                        actor=None,
                        stakeholder_id=identifier.stakeholder_id,
                        date=date.fromisoformat(row["date"].strip()),
                        severity=severity,
                        description=row["description"].strip(),
                        source=row["source"].strip() or path,
                    )
                    imported += 1
                except (InvalidIdentifier, ValueError, ValidationError) as exc:
                    problems.append(f"line {line}: {exc}")
            if dry_run:
                transaction.set_rollback(True)
        for problem in problems:
            self.stderr.write(problem)
        verb = "would import" if dry_run else "imported"
        self.stdout.write(f"{verb} {imported} infringement(s); {len(problems)} row(s) skipped.")
