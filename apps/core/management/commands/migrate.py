"""``migrate`` as the owner role (``DATABASE_OWNER_URL``, apps/core/dbroles.py) when one is
configured: the app role owns nothing and may not change the schema. After it, post_migrate
grants the app role its privileges."""

from django.core.management.commands.migrate import Command as MigrateCommand

from apps.core.dbroles import owner_connection


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with owner_connection(options["database"]):
            return super().handle(*args, **options)
