from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accreditation.trust.services import mra_import


class Command(BaseCommand):
    help = (
        "Load an MRA partner's AEO list (CSV: partner_id[, id_type, name, address, country, "
        "status, since, types]). Idempotent; bad rows are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--partner", required=True, help="CN, US, JP, UK …")

    def handle(self, *args, file: Path, partner: str, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with file.open(newline="", encoding="utf-8-sig") as stream:
            report = mra_import(stream, partner=partner, source_file=file.name)
        for line, message in report.errors:
            self.stderr.write(f"line {line}: {message}" if line else message)
        self.stdout.write(
            f"{partner.upper()}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.errors)} rejected."
        )
        if report.errors and not (report.created or report.updated or report.unchanged):
            raise CommandError("Nothing was imported.")
