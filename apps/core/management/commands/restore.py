"""``manage.py restore FILE --yes``: put a backup made by ``manage.py backup`` back, the
database and the issued papers' files (apps/core/backup.py; README "Backups")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup over this database and file storage: everything written since the "
        "backup is lost. Needs --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="An archive written by `manage.py backup`.")
        parser.add_argument("--yes", action="store_true", help="Yes, replace the current data.")

    def handle(self, *args, **options):
        if not options["yes"]:
            raise CommandError(
                "A restore replaces the whole database and the issued papers' files with the "
                "backup's; everything written since is lost. Run again with --yes. Nothing was changed."
            )
        try:
            summary = restore(Path(options["file"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {summary.database} and {len(summary.files)} issued papers' files from "
                f"{options['file']}. Restart the app servers (each keeps its own cache unless "
                "REDIS_URL is set)."
            )
        )
        for problem in summary.missing:
            self.stderr.write(self.style.WARNING(f"An issued paper without its file: {problem}"))
