from pathlib import Path

from django.core.management.base import BaseCommand

from stakeholders import csv_io


class Command(BaseCommand):
    help = (
        "Export every stakeholder as CSV in the format import_stakeholders reads "
        "(so an export imports back unchanged). Writes to standard output unless --output."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, help="File to write (default: stdout).")

    def handle(self, output: Path | None, **options):
        if output is None:
            csv_io.export_stakeholders(self.stdout._out)
            return
        with output.open("w", newline="", encoding="utf-8") as stream:
            count = csv_io.export_stakeholders(stream)
        self.stderr.write(f"Exported {count} stakeholders to {output}.")
