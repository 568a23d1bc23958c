"""Background work of the reports: the board report's PDF made ahead of its readers
(apps/reports/pdfs.py), by `manage.py db_worker`."""

from django_tasks import task


@task()
def make_board_report_pdf(plan_id: int) -> str:
    """Make and store the PDF of the plan's board report for its data as they stand now."""
    from django.core.cache import cache

    from apps.plans.models import ODPlan

    from . import pdfs

    cache.delete(pdfs.asked_key(plan_id))  # a change from now on asks again
    plan = ODPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        return "no such plan"
    if pdfs.is_stored(plan):
        return "already made"
    pdfs.make(plan)
    return "made"
