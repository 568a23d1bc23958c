"""A data version per organisation (apps/core/history/data_versions.py): a write in one CCG leaves the cached
pages of the others as they are. The versions are random values, no longer a sequence, so that
a restore cannot bring back numbers the cache holds pages for. The old trigger function goes
with its triggers (CASCADE); CoreConfig's post_migrate installs the new ones on every watched
table (statement triggers that note the organisations written to) and the one deferred trigger
that gives the new versions at commit."""

from importlib import import_module

from django.db import migrations

from apps.core.history.data_versions import FUNCTION_SQL

OLD_SQL = import_module("apps.core.migrations.0002_data_version").CREATE_SQL

UP_SQL = """
DROP FUNCTION IF EXISTS ccgtrack_data_changed() CASCADE;
DROP TABLE IF EXISTS ccgtrack_data_version;
DROP SEQUENCE IF EXISTS ccgtrack_data_version_seq;
CREATE TABLE ccgtrack_data_version (scope integer PRIMARY KEY, value uuid NOT NULL);
INSERT INTO ccgtrack_data_version (scope, value) VALUES (0, gen_random_uuid()), (-1, gen_random_uuid());
CREATE TABLE ccgtrack_data_pending (id text PRIMARY KEY);
"""
DOWN_SQL = (
    "DROP FUNCTION IF EXISTS ccgtrack_data_changed() CASCADE; DROP FUNCTION IF EXISTS ccgtrack_data_noted() CASCADE; "
    "DROP TABLE IF EXISTS ccgtrack_data_version; DROP TABLE IF EXISTS ccgtrack_data_pending;"
)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_data_version")]

    operations = [migrations.RunSQL(UP_SQL + FUNCTION_SQL, DOWN_SQL + OLD_SQL)]
