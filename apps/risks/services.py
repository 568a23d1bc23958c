"""Writes to the risk register. Reviews go through ``risk_review``: the form, the admin and any
import share its permission, version and scoring rules."""

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core import permissions
from apps.core.audit import NOTE_MAX_LENGTH, StaleVersionError, diff

from .models import Risk, RiskReview

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
SCORE_FIELDS = ("severity", "likelihood", "residual_severity", "residual_likelihood")

__all__ = ["REVIEW_FIELDS", "StaleVersionError", "risk_review"]


@transaction.atomic
def risk_review(*, risk_id, acting_user, expected_version, changes, note):
    """Record a review of a risk by ``acting_user``: new scores, mitigation and the note.

    Refuses anyone who may not edit the risk's organisation (PermissionDenied), a review based on
    an old version (StaleVersionError), scores outside 1-5 or a residual rating above the inherent
    one (ValidationError). Keeps a RiskReview with the scores before and after; the audit trail
    (pghistory) records the row change with the note as context.
    """
    risk = Risk.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=risk_id)
    permissions.require_edit(acting_user, risk.organisation)
    if expected_version != risk.version:
        raise StaleVersionError(risk)
    unknown = set(changes) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write a review note: what was reviewed, and why the scores stand."})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the review note to {NOTE_MAX_LENGTH} characters."})

    before = {field: getattr(risk, field) for field in REVIEW_FIELDS}
    for field, value in changes.items():
        setattr(risk, field, value)
    risk.version += 1
    risk.full_clean(exclude=["organisation", "plan"])
    changed = diff(before, risk, changes)
    with pghistory.context(note=note, via="ccgtrack"):
        risk.save()
    RiskReview.objects.create(
        risk=risk,
        reviewed_by=acting_user,
        note=note,
        changes=changed,
        **{f"{field}_before": before[field] for field in SCORE_FIELDS},
        **{f"{field}_after": getattr(risk, field) for field in SCORE_FIELDS},
    )
    return risk
