"""``manage.py backup FILE``: the database and the issued papers' files in one archive
(apps/core/backup.py; README "Backups")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the issued papers' files into one archive (a tar file)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The archive to write, e.g. /backups/ccgtrack-2026-01-31.tar")

    def handle(self, *args, **options):
        target = Path(options["file"])
        try:
            summary = backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {summary.database} and {len(summary.files)} issued papers' files to {target}."
            )
        )
        for problem in summary.missing:
            self.stderr.write(self.style.WARNING(f"Not in the backup: {problem}"))
