"""The audit trail's contexts (django-pghistory's Context table: who, the note, how) are
append-only, like the events that point at them.

pghistory writes a context with INSERT ... ON CONFLICT (id) DO UPDATE SET metadata, updated_at:
several changes under one context (one web request, one load_seed) upsert the same row. So the
trigger lets through only the update that upsert makes: the row must be the context the session
is recording now (pghistory's transaction-local ``pghistory.context_id`` setting), the new
metadata must be the metadata pghistory is recording (``pghistory.context_metadata``), and the
id and creation time must stay. Any other UPDATE, and every DELETE, is refused.
(A table owner can still drop a trigger; this guards against every path the application, the
admin, an import or a mistaken SQL statement can take.)"""

from django.db import migrations

FORWARD = """
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

CREATE TRIGGER ccgtrack_audit_context_append_only
    BEFORE UPDATE OR DELETE ON pghistory_context
    FOR EACH ROW EXECUTE FUNCTION ccgtrack_audit_context_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ccgtrack_audit_context_append_only ON pghistory_context;
DROP FUNCTION IF EXISTS ccgtrack_audit_context_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("pghistory", "0007_auto_20250421_0444")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
