"""An audit context can be updated only by the database session that wrote it.

pghistory upserts a context (INSERT ... ON CONFLICT DO UPDATE) when several changes share it, so
the contexts' trigger (0001) lets through an update of the context named by the session's
``pghistory.context_id`` setting. Any session can set that setting to an old context's id
(``set_config``) and so rewrite an old note. Each context now records the session that wrote it
(the backend's process id and start time, in a column pghistory does not know of, filled by its
default), and the trigger lets an update through only from that same session."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION ccgtrack_backend_id() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT pid::text || '@' || backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()
$$;

ALTER TABLE pghistory_context ADD COLUMN IF NOT EXISTS ccgtrack_backend text DEFAULT ccgtrack_backend_id();

CREATE OR REPLACE FUNCTION ccgtrack_audit_context_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.id = OLD.id
       AND NEW.created_at = OLD.created_at
       AND NEW.ccgtrack_backend IS NOT DISTINCT FROM OLD.ccgtrack_backend
       AND OLD.ccgtrack_backend = ccgtrack_backend_id()
       AND OLD.id::text = current_setting('pghistory.context_id', true)
       AND NEW.metadata = NULLIF(current_setting('pghistory.context_metadata', true), '')::jsonb THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ccgtrack: the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION ccgtrack_audit_context_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.id = OLD.id
       AND NEW.created_at = OLD.created_at
       AND OLD.id::text = current_setting('pghistory.context_id', true)
       AND NEW.metadata = NULLIF(current_setting('pghistory.context_metadata', true), '')::jsonb THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ccgtrack: the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
ALTER TABLE pghistory_context DROP COLUMN IF EXISTS ccgtrack_backend;
DROP FUNCTION IF EXISTS ccgtrack_backend_id();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0002_data_version")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
