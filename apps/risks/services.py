"""Writes to the risk register. Reviews go through ``risk_review``: the form, the admin and any
import share the versioned edit path (``apps.core.edits``); this module adds only the risk's
own rule (a review needs a note) and its history row."""

from typing import Any

from django.core.exceptions import ValidationError

from apps.core.audit import StaleVersionError
from apps.core.edits import Edit
from apps.organisations.permissions import OrganisationEdit

from .models import SCORE_FIELDS, Risk, RiskReview

REVIEW_FIELDS = (
    "severity",
    "likelihood",
    "residual_severity",
    "residual_likelihood",
    "mitigation",
    "next_review_on",
    "owner",
    "status",
)
# What the register says, corrected by administrators in the Django admin.
ADMIN_FIELDS = (
    "organisation",
    "plan",
    "reference",
    "category",
    "description",
    "source_note",
    "owner_text",
    "archived_at",
)

__all__ = ["ADMIN_FIELDS", "REVIEW_FIELDS", "StaleVersionError", "risk_review"]


class RiskReviewEdit(OrganisationEdit):
    """A review needs a note; it leaves a RiskReview with the scores before and after, linked to
    the audit event of the same change. Scores in 1-5 and a residual rating not above the
    inherent one are the model's constraints, checked by ``full_clean``."""

    model = Risk
    fields = REVIEW_FIELDS
    admin_fields = ADMIN_FIELDS
    select_related = ("organisation",)

    def check(self, edit: Edit) -> None:
        if not edit.note:
            raise ValidationError(
                {"note": "Write a review note: what was reviewed, and why the scores stand."}
            )

    def record(self, edit: Edit, audit_context_id: Any) -> None:
        RiskReview.objects.create(
            risk=edit.obj,
            reviewed_by=edit.acting_user,
            note=edit.note,
            audit_context_id=audit_context_id,
            **{f"{name}_before": edit.value_before(name) for name in SCORE_FIELDS},
            **{f"{name}_after": getattr(edit.obj, name) for name in SCORE_FIELDS},
        )


risk_edit = RiskReviewEdit()


def risk_review(
    *,
    risk_id: int,
    acting_user: Any,
    expected_version: int,
    changes: dict[str, Any],
    note: str,
    via: str = "ccgtrack",
) -> Risk:
    """Record a review of a risk by ``acting_user``: new scores, mitigation and the note.

    Refuses anyone who may not edit the risk's organisation (PermissionDenied), a review based on
    an old version (StaleVersionError), scores outside 1-5 or a residual rating above the inherent
    one (ValidationError). Keeps a RiskReview with the scores before and after; the audit trail
    (pghistory) records the row change with the note as context.
    """
    return risk_edit(
        pk=risk_id,
        acting_user=acting_user,
        expected_version=expected_version,
        changes=changes,
        note=note,
        via=via,
    )
