"""Writes to board reports. The cover sheet form, the admin and any import save through
``board_report_save``, so the permission, version and validation rules live here once."""

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core import permissions
from apps.core.audit import StaleVersionError
from apps.plans.models import ODPlan

from .models import COVER_FIELDS, BoardReport

__all__ = ["COVER_FIELDS", "StaleVersionError", "board_report_save", "latest_report"]


def latest_report(plan):
    """The plan's latest board report (by meeting date), or None."""
    return BoardReport.objects.filter(plan=plan).order_by("-meeting_date", "-pk").first()


@transaction.atomic
def board_report_save(*, plan, acting_user, expected_version, data):
    """Save the cover sheet of ``plan``'s latest board report (creating the first one if the
    plan has none) from ``data``, a dict of COVER_FIELDS.

    Refuses (PermissionDenied) anyone who may not edit the plan's organisation; refuses
    (StaleVersionError, carrying the current report) a save based on a version other than the
    one stored, where 0 means "the plan had no report"; validates the whole record
    (ValidationError) before anything is written. The audit trail (pghistory) records the change.
    """
    # Lock the plan row: it serialises saves even when there is no report row yet to lock.
    plan = ODPlan.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=plan.pk)
    permissions.require_edit(acting_user, plan.organisation)
    report = (
        BoardReport.objects.select_for_update().filter(plan=plan).order_by("-meeting_date", "-pk").first()
    )
    current_version = report.version if report else 0
    if expected_version != current_version:
        raise StaleVersionError(report)

    unknown = set(data) - set(COVER_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    if report is None:
        report = BoardReport(plan=plan, version=0)
    for field, value in data.items():
        setattr(report, field, value.strip() if isinstance(value, str) else value)
    report.version = current_version + 1
    report.full_clean()
    with pghistory.context(via="ccgtrack", note="Cover sheet saved."):
        report.save()
    return report
