"""Writes to OD plans. Every change of a deliverable goes through ``deliverable_update``: the
edit form, the in-place status change on the list, the admin and any import share its rules
(the versioned edit path in ``apps.core.edits``); this module adds only the deliverable's own
rule and its history row."""

from typing import Any

from django.core.exceptions import ValidationError

from apps.core.audit import NOTE_MAX_LENGTH, StaleVersionError
from apps.core.edits import Edit
from apps.organisations.permissions import OrganisationEdit

from .models import Deliverable, StatusUpdate

__all__ = ["ADMIN_FIELDS", "EDITABLE_FIELDS", "NOTE_MAX_LENGTH", "StaleVersionError", "deliverable_update"]

# What staff keep up to date.
EDITABLE_FIELDS = ("status", "delivered_narrative", "in_progress_narrative", "owner", "deadline")
# What the plan says, corrected by administrators in the Django admin.
ADMIN_FIELDS = (
    "theme",
    "position",
    "subheading",
    "title",
    "methods",
    "source",
    "cost_text",
    "cost_amount",
    "deadline_text",
    "source_status",
    "comments",
)


class DeliverableEdit(OrganisationEdit):
    """A progress note is required when the status changes; every edit leaves a StatusUpdate
    (who, when, from what, to what, the note), linked to the audit event of the same change."""

    model = Deliverable
    fields = EDITABLE_FIELDS
    admin_fields = ADMIN_FIELDS
    select_related = ("theme__plan__organisation",)
    organisation_path = "theme__plan__organisation"

    def check(self, edit: Edit) -> None:
        if "status" in edit.changed and not edit.note:
            raise ValidationError({"note": "Write a progress note to say why the status changed."})
        if not edit.changed and not edit.note:
            raise ValidationError("Nothing was changed: change a field or write a progress note.")

    def record(self, edit: Edit, audit_context_id: Any) -> None:
        StatusUpdate.objects.create(
            deliverable=edit.obj,
            created_by=edit.acting_user,
            from_status=edit.value_before("status"),
            to_status=edit.obj.status,
            note=edit.note,
            audit_context_id=audit_context_id,
        )


deliverable_edit = DeliverableEdit()


def deliverable_update(
    *,
    deliverable_id: int,
    acting_user: Any,
    expected_version: int,
    changes: dict[str, Any],
    note: str = "",
    via: str = "ccgtrack",
) -> Deliverable:
    """Apply ``changes`` (a dict of EDITABLE_FIELDS; administrators may also give ADMIN_FIELDS)
    to a deliverable for ``acting_user``.

    Refuses (PermissionDenied) anyone who may not edit the deliverable's organisation, refuses
    (StaleVersionError) a save based on an old version, requires a progress note when the status
    changes, and records a StatusUpdate with who, when, from what, to what and the note. The
    PostgreSQL audit trail (pghistory) records the row change with the same note as context.
    """
    return deliverable_edit(
        pk=deliverable_id,
        acting_user=acting_user,
        expected_version=expected_version,
        changes=changes,
        note=note,
        via=via,
    )
