"""The as-at proxies (the audit trail's rows read as the records they were) now live beside their
records: plans.DeliverableAsAt and risks.RiskAsAt (apps/core/history/as_at.py). Proxies have no
table; their content types (and so any permissions granted on them) move with them."""

from django.db import migrations

MOVED = (("deliverableasat", "plans"), ("riskasat", "risks"))


def move_content_types(apps, schema_editor, *, source=None, target=None):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED:
        old = content_type.objects.filter(app_label=source or app_label, model=model)
        if content_type.objects.filter(app_label=target or app_label, model=model).exists():
            old.delete()  # already made where it now lives: the old one is stale
        else:
            old.update(app_label=target or app_label)


def forwards(apps, schema_editor):
    move_content_types(apps, schema_editor, source="reports")


def backwards(apps, schema_editor):
    move_content_types(apps, schema_editor, target="reports")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('plans', '0011_deliverable_as_at_beside_deliverables'),
        ('reports', '0003_issued_papers'),
        ('risks', '0008_risk_as_at_beside_risks'),
    ]

    operations = [
        migrations.DeleteModel(
            name='DeliverableAsAt',
        ),
        migrations.DeleteModel(
            name='RiskAsAt',
        ),
        migrations.RunPython(forwards, backwards),
    ]
