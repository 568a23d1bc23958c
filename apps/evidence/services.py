"""Writes of evidence, each through the one edit path (``apps.core.edits``): adding an item (with
its first file), a new file (a new revision), its details, archiving and restoring, and linking
an item to a record (and removing the link). Permission as for the risks: staff and
organisation administrators of the item's organisation (or above it); administrators everywhere.

A file is checked (``files.check_upload``) before the edit starts, written to the storage inside
the edit's transaction, and deleted again if anything after that refuses or fails, so a refusal
leaves nothing behind: no row and no file."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from apps.core.edits import Edit
from apps.organisations.permissions import OrganisationEdit, can_edit

from .files import CheckedFile
from .models import LINK_FIELDS, TARGET_ORGANISATION_PATHS, EvidenceItem, EvidenceLink, EvidenceRevision

FOLDER = "evidence"
DETAIL_FIELDS = ("title", "url", "speaks_for", "review_on", "note")
CREATE_FIELDS = ("organisation", "kind", "added_by", *DETAIL_FIELDS)

__all__ = [
    "evidence_add_revision",
    "evidence_create",
    "evidence_edit",
    "evidence_link",
    "evidence_link_edit",
    "evidence_unlink",
]


def storage_name(item: EvidenceItem, number: int, checked: CheckedFile) -> str:
    folder = f"{FOLDER}/{item.organisation.slug}/item-{item.pk}"
    return f"{folder}/{number}-{checked.sha256[:16]}-{checked.original_name}"


class EvidenceItemEdit(OrganisationEdit):
    """An evidence item's edit path. A file given as ``file`` (a ``CheckedFile``) becomes the
    item's next revision, written in the same audit context as the item's row, and named in the
    history note."""

    model = EvidenceItem
    fields = DETAIL_FIELDS
    create_fields = CREATE_FIELDS
    related_fields = {"file": "File"}
    archive_field = "archived_at"
    select_related = ("organisation",)

    def relate(self, edit: Edit, name: str, value: Any) -> None:
        if value is None:
            return
        edit.related[name] = value
        edit.changed[name] = ["", value.original_name]
        edit.related_notes.append(f"New file: {value.original_name} (SHA-256 {value.sha256}).")

    def check(self, edit: Edit) -> None:
        item = edit.obj
        if item.kind == EvidenceItem.Kind.FILE and edit.created and "file" not in edit.related:
            raise ValidationError({"file": "Choose a file to upload."})
        if item.kind == EvidenceItem.Kind.LINK and "file" in edit.related:
            raise ValidationError({"file": "A link keeps no file: add the file as evidence of its own."})
        if item.archived_at and not edit.created and set(edit.changed) - {"archived_at"}:
            raise ValidationError("This evidence is archived: restore it before changing it.")
        if item.review_on and item.speaks_for and item.review_on < item.speaks_for:
            raise ValidationError(
                {"review_on": "The review date cannot be before the date the evidence speaks for."}
            )

    def record(self, edit: Edit, audit_context_id: Any) -> None:
        """The new file, if any: written to the storage and kept as the item's next revision,
        linked to the audit context of the same change (the item's row is locked, so two
        uploads to one item take numbers in turn)."""
        checked = edit.related.get("file")
        if checked is None:
            return
        item = edit.obj
        number = (item.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        checked.stored_name = default_storage.save(
            storage_name(item, number, checked), ContentFile(checked.data)
        )
        EvidenceRevision.objects.create(
            item=item,
            number=number,
            file=checked.stored_name,
            sha256=checked.sha256,
            size=checked.size,
            content_type=checked.content_type,
            original_name=checked.original_name,
            uploaded_by=edit.acting_user,
            note=edit.note,
            audit_context_id=audit_context_id,
        )

    def save(self, edit: Edit) -> None:
        edit.obj.save()


evidence_edit = EvidenceItemEdit()


def _cleaning_up(checked: CheckedFile | None, write: Callable[[], Any]) -> Any:
    """Run ``write``; if it raises, delete the file it stored (the rows are rolled back)."""
    try:
        return write()
    except BaseException:
        if checked is not None and checked.stored_name:
            default_storage.delete(checked.stored_name)
            checked.stored_name = ""
        raise


def evidence_create(
    *,
    organisation: Any,
    acting_user: Any,
    values: dict[str, Any],
    file: CheckedFile | None = None,
    note: str = "",
    link_to: dict[str, Any] | None = None,
    via: str = "ccgtrack",
) -> EvidenceItem:
    """Add an evidence item to ``organisation`` (``values``: the detail fields and ``kind``),
    with its first file when it is a file, and (``link_to``: {"deliverable": obj}) its first
    link, all or nothing."""

    def write():
        with transaction.atomic():
            item = evidence_edit.create(
                acting_user=acting_user,
                values={**values, "organisation": organisation, "added_by": acting_user, "file": file},
                note=note,
                via=via,
            )
            if link_to:
                evidence_link(item=item, acting_user=acting_user, target=link_to, note=note, via=via)
            return item

    return _cleaning_up(file, write)


def evidence_add_revision(
    *,
    item_id: int,
    acting_user: Any,
    expected_version: int,
    file: CheckedFile,
    note: str,
    via: str = "ccgtrack",
) -> EvidenceItem:
    """A new file for an item: its next revision (earlier ones stay). Needs a note (what changed)."""
    if not (note or "").strip():
        raise ValidationError({"note": "Write a note saying what this new file changes."})
    return _cleaning_up(
        file,
        lambda: evidence_edit(
            pk=item_id,
            acting_user=acting_user,
            expected_version=expected_version,
            changes={"file": file},
            note=note,
            via=via,
        ),
    )


class EvidenceLinkEdit(OrganisationEdit):
    """Linking an item to a record, and removing the link (``removed_at``, the archive field):
    whoever may edit the item's organisation and the record's."""

    model = EvidenceLink
    fields = ()
    create_fields = ("item", "added_by", *LINK_FIELDS)
    archive_field = "removed_at"
    select_related = ("item__organisation",)
    organisation_path = "item__organisation"

    def may_edit(self, user, obj) -> bool:
        if not can_edit(user, obj.item.organisation):
            return False
        if obj.target_field:
            return can_edit(user, obj.target_organisation())
        return True

    def check(self, edit: Edit) -> None:
        link = edit.obj
        if not link.target_field:
            raise ValidationError("Choose one record for the evidence to support.")
        if edit.created and link.item.archived_at:
            raise ValidationError("This evidence is archived: restore it before linking it.")
        if edit.created and link.target_field == "deliverable" and link.deliverable.archived_at:
            raise ValidationError("That deliverable is archived.")
        if edit.created and link.target_field == "risk" and link.risk.archived_at:
            raise ValidationError("That risk is archived.")
        if edit.created and link.target_field in ("control", "assurance"):
            # Read from the database: the record given may be older than the risk's archiving.
            path = TARGET_ORGANISATION_PATHS[link.target_field].removesuffix("__organisation")
            model = type(link.target)
            if model.objects.filter(pk=link.target.pk, **{f"{path}__archived_at__isnull": False}).exists():
                raise ValidationError("That principal risk's risk is archived.")


evidence_link_edit = EvidenceLinkEdit()


def evidence_link(
    *, item: EvidenceItem, acting_user: Any, target: dict[str, Any], note: str = "", via="ccgtrack"
):
    """Link ``item`` to one record (``target``: {"deliverable": obj} or another LINK_FIELDS name:
    "risk", "assessment_score", "control", "assurance")."""
    if len(target) != 1 or not set(target) <= set(LINK_FIELDS):
        raise ValidationError("Choose one record for the evidence to support.")
    return evidence_link_edit.create(
        acting_user=acting_user,
        values={"item": item, "added_by": acting_user, **target},
        note=note or f"Evidence linked: {item.title}.",
        via=via,
    )


def evidence_unlink(*, link_id: int, acting_user: Any, expected_version: int, note: str, via="ccgtrack"):
    """Remove a link (kept in the history, never deleted)."""
    return evidence_link_edit.set_archived(
        pk=link_id,
        acting_user=acting_user,
        expected_version=expected_version,
        archived=True,
        note=note,
        via=via,
    )
