from django.core.management.base import BaseCommand
from tqdm import tqdm

from accreditation.trust.services import snapshots_rebuild_all, snapshots_total
from accreditation.trust.snapshots import get_store


class Command(BaseCommand):
    help = "Rebuild every trust snapshot (registry identifiers and MRA partner entries)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--flush", action="store_true", help="Drop all snapshots first (stale keys go too)."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, batch_size, flush, no_progress, **options):
        if flush:
            get_store().flush()
        with tqdm(total=snapshots_total(), unit="id", disable=no_progress, file=self.stderr) as bar:
            done = snapshots_rebuild_all(batch_size=batch_size, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {done} trust snapshots."))
