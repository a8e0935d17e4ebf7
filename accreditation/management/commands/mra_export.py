from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accreditation.trust.services import mra_export


class Command(BaseCommand):
    help = (
        "Write the daily MRA delta for a partner: consenting AEOS/AEOF holders whose data or "
        "status changed since the last export, as CSV with a .sha256 checksum file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="US, CN, JP, UK …")
        parser.add_argument("--out-dir", type=Path, default=None)
        parser.add_argument("--full", action="store_true", help="Everyone, not the delta.")

    def handle(self, *args, partner: str, out_dir: Path | None, full: bool, **options):
        from datetime import UTC, datetime

        run = mra_export(
            partner=partner,
            out_dir=out_dir or Path(settings.MRA_EXPORT_DIR),
            since=datetime(1970, 1, 1, tzinfo=UTC) if full else None,
        )
        self.stdout.write(f"{run.filename}: {run.rows} holders, sha256 {run.sha256}")
