"""The data version that cached figures and list pages were keyed by: one number for the whole
database, from a sequence. Replaced by 0003 (a version per organisation, apps/core/history/data_versions.py);
its SQL is kept here as it was, so that the migrations build every database the same way."""

from django.db import migrations

TABLE = "ccgtrack_data_version"
FUNCTION = "ccgtrack_data_changed"
CREATE_SQL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (id smallint PRIMARY KEY CHECK (id = 1), value bigint NOT NULL);
CREATE SEQUENCE IF NOT EXISTS {TABLE}_seq;
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    mark text := pg_current_xact_id()::text || '@' || statement_timestamp()::text;
BEGIN
    IF current_setting('ccgtrack.data_changed', true) IS DISTINCT FROM mark THEN
        INSERT INTO {TABLE} (id, value) VALUES (1, nextval('{TABLE}_seq'))
            ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
        PERFORM set_config('ccgtrack.data_changed', mark, true);
    END IF;
    RETURN NULL;
END $$;
"""
DROP_SQL = (
    f"DROP FUNCTION IF EXISTS {FUNCTION}() CASCADE; DROP TABLE IF EXISTS {TABLE}; "
    f"DROP SEQUENCE IF EXISTS {TABLE}_seq;"
)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_audit_context_append_only")]

    operations = [migrations.RunSQL(CREATE_SQL, DROP_SQL)]
