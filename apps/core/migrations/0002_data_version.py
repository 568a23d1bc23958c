"""The data version that cached figures and list pages are keyed by (apps/core/freshness.py).
The triggers on the watched tables are installed after every migrate (CoreConfig.ready), so a
table added later gets one too."""

from django.db import migrations

from apps.core.freshness import CREATE_SQL, DROP_SQL


class Migration(migrations.Migration):
    dependencies = [("core", "0001_audit_context_append_only")]

    operations = [migrations.RunSQL(CREATE_SQL, DROP_SQL)]
