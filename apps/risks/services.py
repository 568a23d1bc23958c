"""Writes to the risk register. Reviews go through ``risk_review``: the form, the admin and any
import share the versioned edit path (``apps.core.edits``); this module adds only the risk's
own rule (a review needs a note) and its history row."""

from typing import Any

from django.core.exceptions import ValidationError

from apps.core.edits import Edit
from apps.core.history.audit import StaleVersionError
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

# What the register says beside the scores, which staff of the organisation keep right.
DETAIL_FIELDS = ("reference", "category", "description", "plan")
# What a new risk may be given.
CREATE_FIELDS = ("organisation",) + DETAIL_FIELDS + REVIEW_FIELDS

__all__ = [
    "ADMIN_FIELDS",
    "CREATE_FIELDS",
    "DETAIL_FIELDS",
    "REVIEW_FIELDS",
    "StaleVersionError",
    "risk_create",
    "risk_details_edit",
    "risk_edit",
    "risk_review",
]


class RiskReviewEdit(OrganisationEdit):
    """A review needs a note; it leaves a RiskReview with the scores before and after, linked to
    the audit event of the same change. Scores in 1-5 and a residual rating not above the
    inherent one are the model's constraints, checked by ``full_clean``. A new risk starts its
    reviews with one whose scores before and after are those it was recorded with."""

    model = Risk
    fields: tuple[str, ...] = REVIEW_FIELDS
    admin_fields: tuple[str, ...] = ADMIN_FIELDS
    create_fields = CREATE_FIELDS
    related_fields = {"domains": "Authorisation domains"}
    archive_field = "archived_at"
    select_related = ("organisation",)

    def related_display(self, name: str, objs: Any) -> str:
        return "; ".join(str(n) for n in sorted(d.number for d in objs))

    def check(self, edit: Edit) -> None:
        risk = edit.obj
        if risk.plan_id and risk.plan.organisation_id != risk.organisation_id:
            raise ValidationError({"plan": "Choose a plan of the risk's own organisation."})
        if not edit.note:
            message = (
                "Write a note: why this risk is added to the register."
                if edit.created
                else "Write a review note: what was reviewed, and why the scores stand."
            )
            raise ValidationError({"note": message})

    def record(self, edit: Edit, audit_context_id: Any) -> None:
        RiskReview.objects.create(
            risk=edit.obj,
            reviewed_by=edit.acting_user,
            note=edit.history_note,
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


class RiskDetailsEdit(RiskReviewEdit):
    """The risk's "Edit details" page: what the register says (reference, category, description,
    plan, authorisation domains) beside what a review changes, by the organisation's staff. The
    same rule and history row as a review."""

    fields = REVIEW_FIELDS + DETAIL_FIELDS
    admin_fields = ()


risk_details_edit = RiskDetailsEdit()


def risk_create(
    *, organisation: Any, acting_user: Any, values: dict[str, Any], note: str, via: str = "ccgtrack"
) -> Risk:
    """Add a risk to ``organisation``'s register (``values``: CREATE_FIELDS and ``domains``)
    through the risk's edit path: permission on the organisation, a note, the scores' rules,
    the audited insert and its first RiskReview."""
    return risk_edit.create(
        acting_user=acting_user, values={**values, "organisation": organisation}, note=note, via=via
    )
