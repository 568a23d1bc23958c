"""``flush`` (TRUNCATE of every table) as the owner role when one is configured: the app role
holds no TRUNCATE anywhere (apps/core/dbroles.py). The test suite's transactional tests end
with a flush; so does a developer emptying a database."""

from django.core.management.commands.flush import Command as FlushCommand

from apps.core.dbroles import owner_connection


class Command(FlushCommand):
    def handle(self, **options):
        with owner_connection(options["database"]):
            return super().handle(**options)
