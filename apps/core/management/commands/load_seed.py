from django.core.management.base import BaseCommand, CommandError

from apps.core.seed import SeedError, load_seed


class Command(BaseCommand):
    help = "Load all of ccgtrack's seed fixtures in one transaction (safe to run again)."

    def handle(self, *args, **options):
        try:
            files = load_seed(verbosity=max(options["verbosity"] - 1, 0))
        except SeedError as exc:
            raise CommandError(f"Seed not loaded, database unchanged. {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Loaded {len(files)} fixture files: {', '.join(f.name for f in files)}")
        )
