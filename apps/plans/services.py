"""Writes to OD plans. Every change of a deliverable goes through ``deliverable_update``: the
edit form, the in-place status change on the list, the admin and any import share its rules."""

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core import permissions
from apps.core.audit import NOTE_MAX_LENGTH, StaleVersionError, diff

from .models import Deliverable, StatusUpdate

__all__ = ["EDITABLE_FIELDS", "NOTE_MAX_LENGTH", "StaleVersionError", "deliverable_update"]

EDITABLE_FIELDS = ("status", "delivered_narrative", "in_progress_narrative", "owner", "deadline")


@transaction.atomic
def deliverable_update(*, deliverable_id, acting_user, expected_version, changes, note=""):
    """Apply ``changes`` (a dict of EDITABLE_FIELDS) to a deliverable for ``acting_user``.

    Refuses (PermissionDenied) anyone who may not edit the deliverable's organisation, refuses
    (StaleVersionError) a save based on an old version, requires a progress note when the status
    changes, and records a StatusUpdate with who, when, from what, to what and the note. The
    PostgreSQL audit trail (pghistory) records the row change with the same note as context.
    """
    deliverable = (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("theme__plan__organisation")
        .get(pk=deliverable_id)
    )
    permissions.require_edit(acting_user, deliverable.organisation)
    if expected_version != deliverable.version:
        raise StaleVersionError(deliverable)

    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the progress note to {NOTE_MAX_LENGTH} characters."})

    before = {field: getattr(deliverable, field) for field in changes}
    from_status = deliverable.status
    for field, value in changes.items():
        setattr(deliverable, field, value)
    changed = diff(before, deliverable, changes)
    if "status" in changed and not note:
        raise ValidationError({"note": "Write a progress note to say why the status changed."})
    if not changed and not note:
        raise ValidationError("Nothing was changed: change a field or write a progress note.")
    deliverable.version += 1
    deliverable.full_clean(exclude=["theme"])
    with pghistory.context(note=note, via="ccgtrack"):
        deliverable.save()
    StatusUpdate.objects.create(
        deliverable=deliverable,
        created_by=acting_user,
        from_status=from_status,
        to_status=deliverable.status,
        note=note,
        changes=changed,
    )
    return deliverable
