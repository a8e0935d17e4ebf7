from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from stakeholders import csv_io


class Command(BaseCommand):
    help = (
        "Import stakeholders from a CSV file, all or nothing. Columns (header row required): "
        "legal_name, trading_name (optional), country (ISO alpha-2), address, city, "
        "postal_code, contact_email, contact_phone (optional), roles (codes separated by ';', "
        "e.g. E_VENDOR;IMPORTER), identifiers (TYPE:VALUE separated by ';', e.g. "
        "EORI:DE123456789;LEI:529900T8BM49AURSDO55), consent_publish, consent_mra (true/false). "
        "A row matches an existing stakeholder by any identifier and updates it only where it "
        "differs; re-running the same file changes nothing. Any bad row: nothing is written, "
        "every error is listed by row number (header = row 1) and field, exit code 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")

        def progress(rows):
            return tqdm(rows, desc="Importing", unit="row", file=self.stderr._out)

        with file.open(newline="", encoding="utf-8-sig") as stream:
            try:
                result = csv_io.import_stakeholders(stream, progress=progress)
            except csv_io.ImportFailed as exc:
                for error in exc.errors:
                    self.stderr.write(str(error))
                raise CommandError(
                    f"{len(exc.errors)} error(s) in {file}; nothing was imported."
                ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {file}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged."
            )
        )
