"""Writes to board reports. The cover sheet form, the admin and any import save through
``board_report_save``: an existing cover sheet is changed by the versioned edit path
(``apps.core.edits``), a plan's first one is created here."""

from typing import Any

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from apps.core.audit import StaleVersionError
from apps.organisations import permissions
from apps.organisations.permissions import OrganisationEdit
from apps.plans.models import ODPlan

from .models import COVER_FIELDS, BoardReport

__all__ = ["COVER_FIELDS", "StaleVersionError", "board_report_save", "latest_report"]


def latest_report(plan: ODPlan) -> BoardReport | None:
    """The plan's latest board report (by meeting date), or None."""
    return BoardReport.objects.filter(plan=plan).order_by("-meeting_date", "-pk").first()


class CoverSheetEdit(OrganisationEdit):
    """A cover sheet's history is its audit trail: no rule or history row of its own."""

    model = BoardReport
    fields = COVER_FIELDS
    admin_fields = ("plan",)
    select_related = ("plan__organisation",)
    organisation_path = "plan__organisation"


cover_sheet_edit = CoverSheetEdit()


@transaction.atomic
def board_report_save(
    *,
    plan: ODPlan,
    acting_user: Any,
    expected_version: int,
    data: dict[str, Any],
    report_id: int | None = None,
    via: str = "ccgtrack",
) -> BoardReport:
    """Save the cover sheet of ``plan``'s report ``report_id`` from ``data``, a dict of
    COVER_FIELDS; with no ``report_id``, create the plan's first report (``expected_version``
    0).

    Refuses (PermissionDenied) anyone who may not edit the plan's organisation; refuses
    (StaleVersionError, carrying the current report) a save based on a version other than the
    one stored, and the creation of a first report when another user has created one meanwhile;
    validates the whole record (ValidationError) before anything is written. The audit trail
    (pghistory) records the change.
    """
    if report_id is not None:
        if not BoardReport.objects.filter(pk=report_id, plan=plan).exists():
            raise Http404("No such board report for this plan.")
        return cover_sheet_edit(
            pk=report_id,
            acting_user=acting_user,
            expected_version=expected_version,
            changes=data,
            note="Cover sheet saved.",
            via=via,
        )
    # Lock the plan row: it serialises the creation of a plan's first report.
    plan = ODPlan.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=plan.pk)
    permissions.require_edit(acting_user, plan.organisation)
    existing = latest_report(plan)
    if existing is not None or expected_version != 0:
        raise StaleVersionError(existing)
    unknown = set(data) - set(COVER_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    report = BoardReport(plan=plan, version=1)
    for name, value in data.items():
        setattr(report, name, value.strip() if isinstance(value, str) else value)
    report.full_clean()
    with pghistory.context(user=acting_user.pk, note="Cover sheet created.", via=via):
        report.save()
    return report
