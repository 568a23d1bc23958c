from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.dbroles import owner_connection
from apps.core.seed import SeedError, load_seed


class Command(BaseCommand):
    help = (
        "Load ccgtrack's seed fixtures in one transaction. Adds the seed records that are missing "
        "and never changes an existing record, so it is safe to run on every start."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Development only (refused when DEBUG is off): write the fixture values over the "
                "seed records that exist, undoing what people changed in them."
            ),
        )

    def handle(self, *args, **options):
        reset = options["reset"]
        if reset and not settings.DEBUG:
            raise CommandError(
                "load_seed --reset overwrites what people recorded, so it runs only on a development "
                "database (DEBUG=1). Nothing was changed."
            )
        if reset:
            self.stdout.write(
                self.style.WARNING(
                    "--reset: every seed record that exists will be overwritten with the fixture values "
                    "(statuses, narratives, scores and cover sheets people changed go back to the seed; "
                    "their history rows stay, and the audit trail records the overwrite)."
                )
            )
        try:
            if reset:
                # Overwriting is the owner's act (DATABASE_OWNER_URL), never the app role's.
                with owner_connection():
                    result = load_seed(reset=reset)
            else:
                result = load_seed(reset=reset)
        except SeedError as exc:
            raise CommandError(f"Seed not loaded, database unchanged. {exc}") from exc
        names = ", ".join(f.name for f in result.files)
        if reset:
            summary = f"{result.added} added, {result.overwritten} overwritten"
        else:
            summary = f"{result.added} added, {result.kept} already present and left unchanged"
            if result.gone:
                summary += f", {result.gone} deleted since they were loaded and left out"
        if options["verbosity"] >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"Seed from {len(result.files)} fixture files ({names}): {summary}.")
            )
