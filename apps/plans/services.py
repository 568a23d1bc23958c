"""Writes to OD plans. Every change of a deliverable goes through ``deliverable_update``: the
edit form, the in-place status change on the list, the admin and any import share its rules
(the versioned edit path in ``apps.core.edits``); this module adds only the deliverable's own
rule and its history row."""

from typing import Any

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.core.bounds import NOTE_MAX_LENGTH
from apps.core.edits import Edit
from apps.core.history.audit import StaleVersionError
from apps.organisations.permissions import OrganisationEdit, can_edit

from .models import (
    AuthorisationDomain,
    Deliverable,
    Objective,
    ODPlan,
    SelfAssessment,
    SelfAssessmentScore,
    StatusUpdate,
    Theme,
)

__all__ = [
    "ADMIN_FIELDS",
    "EDITABLE_FIELDS",
    "IMPORT_FIELDS",
    "NOTE_MAX_LENGTH",
    "StaleVersionError",
    "deliverable_create",
    "deliverable_details_edit",
    "deliverable_edit",
    "deliverable_import_update",
    "deliverables_import_update",
    "deliverable_update",
    "deliverables_create",
    "next_theme_number",
    "objective_add",
    "objective_edit",
    "plan_create",
    "self_assessment_edit",
    "theme_add",
    "theme_edit",
]

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
    "owner_text",
    "archived_at",
)


# What a plan import may set beside EDITABLE_FIELDS: the plan's own wording. Theme and position
# are not here: they are the row's reference, the key an import matches on, so an import never
# moves a deliverable (an administrator does that in the admin).
IMPORT_FIELDS = (
    "subheading",
    "title",
    "methods",
    "source",
    "cost_text",
    "cost_amount",
    "deadline_text",
    "source_status",
    "comments",
    "owner_text",
)


class DeliverableEdit(OrganisationEdit):
    """A progress note is required when the status changes; every edit leaves a StatusUpdate
    (who, when, from what, to what, the note), linked to the audit event of the same change.
    A new deliverable takes the next position in its theme and starts its history with a
    StatusUpdate from nothing to its status, with the note that says why it was added."""

    model = Deliverable
    fields: tuple[str, ...] = EDITABLE_FIELDS
    admin_fields: tuple[str, ...] = ADMIN_FIELDS
    create_fields: tuple[str, ...] = ("theme",) + EDITABLE_FIELDS + IMPORT_FIELDS
    related_fields = {"domains": "Authorisation domains"}
    archive_field = "archived_at"
    select_related = ("theme__plan__organisation",)
    organisation_path = "theme__plan__organisation"

    def new_object(self, values: dict[str, Any]) -> Deliverable:
        # The theme's row is locked, so two deliverables added at once take two positions.
        theme = (
            Theme.objects.select_for_update().select_related("plan__organisation").get(pk=values["theme"].pk)
        )
        last = theme.deliverables.order_by("-position").values_list("position", flat=True).first() or 0
        return Deliverable(**{**values, "theme": theme, "position": last + 1})

    def related_display(self, name: str, objs: Any) -> str:
        return "; ".join(str(n) for n in sorted(d.number for d in objs))

    def check(self, edit: Edit) -> None:
        if edit.created and not edit.note:
            raise ValidationError({"note": "Write a note to say why this deliverable is added."})
        if "status" in edit.changed and not edit.note:
            raise ValidationError({"note": "Write a progress note to say why the status changed."})
        if not edit.changed and not edit.note:
            raise ValidationError("Nothing was changed: change a field or write a progress note.")

    def history_row(self, edit: Edit, audit_context_id: Any) -> dict[str, Any]:
        """The StatusUpdate of ``edit``, as field values (the note with the related changes the
        audit trail does not record, such as the authorisation domains)."""
        return {
            "deliverable": edit.obj,
            "created_by": edit.acting_user,
            "from_status": "" if edit.created else edit.value_before("status"),
            "to_status": edit.obj.status,
            "note": edit.history_note,
            "audit_context_id": audit_context_id,
        }

    def record(self, edit: Edit, audit_context_id: Any) -> None:
        StatusUpdate.objects.create(**self.history_row(edit, audit_context_id))

    def record_many(self, edits: list[Edit], audit_context_id: Any) -> None:
        StatusUpdate.objects.bulk_create(
            [StatusUpdate(**self.history_row(e, audit_context_id)) for e in edits], batch_size=1000
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


class DeliverableImportEdit(DeliverableEdit):
    """The edit path of a plan import by the organisation's own staff (or an administrator).

    An organisation that runs its own OD cycle writes its own plan, so its staff may set the
    plan's wording (IMPORT_FIELDS) from their spreadsheet; the form keeps offering them only
    EDITABLE_FIELDS. Everything else is the deliverable's edit path unchanged: row lock,
    permission, version check, full_clean, the audit context and a StatusUpdate per change.

    Authorisation domains are many-to-many, outside the row and its audit trigger: a change of
    them is set in the same transaction and written into that deliverable's history row."""

    fields = EDITABLE_FIELDS + IMPORT_FIELDS
    admin_fields = ()
    # An import never changes theme or position, so their checks (the theme exists, a position
    # once per theme) cannot fail: two queries a row saved on a large import.
    clean_exclude = ("theme",)

    def lock_many(self, pks):
        locked = (
            Deliverable.objects.select_for_update(of=("self",))
            .select_related(*self.select_related)
            .prefetch_related("domains")  # the domains before, for the diff: one query for all
            .filter(pk__in=list(pks))
            .order_by("pk")
        )
        return {obj.pk: obj for obj in locked}


deliverable_import_edit = DeliverableImportEdit()
# The "Edit details" page offers staff what their plan import may set: the same path and rules.
deliverable_details_edit = deliverable_import_edit


def deliverable_import_update(*, deliverable_id, acting_user, expected_version, changes, note, via="import"):
    """Apply an import's ``changes`` (EDITABLE_FIELDS, IMPORT_FIELDS and ``domains``, a list of
    AuthorisationDomain) to a deliverable: the same lock, permission, version check, validation,
    audit context and StatusUpdate as ``deliverable_update``."""
    return deliverable_import_edit(
        pk=deliverable_id,
        acting_user=acting_user,
        expected_version=expected_version,
        changes=changes,
        note=note,
        via=via,
    )


def deliverables_import_update(*, items, acting_user, note, via="import"):
    """Apply many import changes at once through the same edit path (``items``: deliverable
    id, expected version, changes as for ``deliverable_import_update``): the rows locked in one
    query, each checked as one edit is, saved in one UPDATE under one audit context, and a
    StatusUpdate for each. Raises as ``deliverable_import_update`` does for the first row that
    fails; call inside a transaction, so that nothing of the batch is then saved."""
    edits = deliverable_import_edit.prepare_many(
        items=[(pk, version, changes, None) for pk, version, changes in items],
        acting_user=acting_user,
        note=note,
        via=via,
    )
    return deliverable_import_edit.commit_many(edits, note=(note or "").strip(), via=via)


def _require_edit(user, organisation):
    if not can_edit(user, organisation):
        raise PermissionDenied("Only staff of the owning organisation may change this.")


@transaction.atomic
def deliverables_create(*, plan, rows, acting_user, note, via="import"):
    """Add deliverables to ``plan``: ``rows`` are (theme of the plan, model field values with
    ``position``, authorisation domains). Returns the new deliverables.

    Refuses (PermissionDenied) anyone who may not edit the plan's organisation. Validates each
    record's fields (full_clean); the model's constraints (a position once per theme, a valid
    status, no negative cost) are held by PostgreSQL, whose refusal (IntegrityError) undoes the
    whole transaction. Inserts them in one statement inside one audit context (an insert event
    per deliverable with who, the note and how) and writes each one's first history row, from
    nothing to its status, linked to that context: a few queries, whatever the number of rows."""
    _require_edit(acting_user, plan.organisation)
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX_LENGTH} characters."})
    deliverables = []
    for theme, values, _ in rows:
        if theme.plan_id != plan.pk:
            raise ValidationError("A deliverable can only be added to a theme of the plan.")
        deliverable = Deliverable(theme=theme, **values)
        deliverable.full_clean(exclude=["theme"], validate_unique=False, validate_constraints=False)
        deliverables.append(deliverable)
    with pghistory.context(user=getattr(acting_user, "pk", None), note=note, via=via) as audit:
        Deliverable.objects.bulk_create(deliverables, batch_size=500)
    through = Deliverable.domains.through
    through.objects.bulk_create(
        [
            through(deliverable_id=deliverable.pk, authorisationdomain_id=domain.pk)
            for deliverable, (_, _, domains) in zip(deliverables, rows, strict=True)
            for domain in domains
        ],
        batch_size=1000,
    )
    StatusUpdate.objects.bulk_create(
        [
            StatusUpdate(
                deliverable=deliverable,
                created_by=acting_user,
                from_status="",
                to_status=deliverable.status,
                note=note,
                audit_context_id=audit.id,
            )
            for deliverable in deliverables
        ],
        batch_size=1000,
    )
    return deliverables


def plan_create(*, organisation, title, period_label, acting_user):
    """Start an OD plan for ``organisation`` (its staff or an administrator)."""
    _require_edit(acting_user, organisation)
    plan = ODPlan(organisation=organisation, title=title.strip(), period_label=period_label.strip())
    plan.full_clean()
    plan.save()
    return plan


class ThemeEdit(OrganisationEdit):
    """A theme of a plan: its number (once per plan), title and description. The audit trail
    keeps every change with its note (a theme has no history row of its own)."""

    model = Theme
    fields = ("number", "title", "description")
    create_fields = ("plan", "number", "title", "description")
    select_related = ("plan__organisation",)
    organisation_path = "plan__organisation"

    def check(self, edit: Edit) -> None:
        if not edit.changed and not edit.note:
            raise ValidationError("Nothing was changed.")


theme_edit = ThemeEdit()


def next_theme_number(plan) -> int:
    """The number a theme added to ``plan`` gets unless another is chosen."""
    return (plan.themes.order_by("-number").values_list("number", flat=True).first() or 0) + 1


def theme_add(*, plan, number, title, acting_user, description="", note="", via="import"):
    """Add theme ``number`` to ``plan`` for a plan import (the edit path's ``create``:
    permission, validation, the audited insert)."""
    values = {"plan": plan, "number": number, "title": title, "description": description}
    return theme_edit.create(acting_user=acting_user, values=values, note=note, via=via)


class ObjectiveEdit(OrganisationEdit):
    """An objective of a theme: a new one goes at the end of the theme's list."""

    model = Objective
    fields = ("text",)
    create_fields = ("theme", "text")
    select_related = ("theme__plan__organisation",)
    organisation_path = "theme__plan__organisation"

    def new_object(self, values: dict[str, Any]) -> Objective:
        # The theme's row is locked, so two objectives added at once take two positions.
        theme = (
            Theme.objects.select_for_update().select_related("plan__organisation").get(pk=values["theme"].pk)
        )
        last = theme.objectives.order_by("-position").values_list("position", flat=True).first() or 0
        return Objective(**{**values, "theme": theme, "position": last + 1})

    def check(self, edit: Edit) -> None:
        if not edit.changed and not edit.note:
            raise ValidationError("Nothing was changed.")


objective_edit = ObjectiveEdit()


def objective_add(*, theme, text, acting_user, note="", via="import"):
    """Add an objective at the end of ``theme``'s list for a plan import (the edit path's
    ``create``)."""
    return objective_edit.create(
        acting_user=acting_user, values={"theme": theme, "text": text}, note=note, via=via
    )


def deliverable_create(*, theme, acting_user, values, note, via="ccgtrack") -> Deliverable:
    """Add a deliverable or action at the end of ``theme`` (``values``: CREATE fields and
    ``domains``, a list of AuthorisationDomain), through the deliverable's edit path: permission
    on the theme's organisation, a note, validation, the audited insert and its first
    StatusUpdate."""
    return deliverable_edit.create(
        acting_user=acting_user, values={**values, "theme": theme}, note=note, via=via
    )


class SelfAssessmentEdit(OrganisationEdit):
    """A self-assessment of an organisation against the six authorisation domains: when, the
    tool, the narrative (``notes``) and a score (per cent, which places it in a maturity level)
    for each domain. The scores are child rows, written in the same audit context as the
    assessment, so the audit trail keeps who changed which score, when, and the note."""

    model = SelfAssessment
    fields = ("assessed_on", "assessed_label", "tool", "notes")
    create_fields = ("organisation",) + fields
    related_fields = {"scores": "Scores"}
    select_related = ("organisation",)

    def relate(self, edit: Edit, name: str, value: Any) -> None:
        """``value``: {AuthorisationDomain: score in per cent}; keeps the scores that differ."""
        current = (
            {score.domain_id: score.score_percent for score in edit.obj.scores.all()} if edit.obj.pk else {}
        )
        changed = {}
        for domain, percent in value.items():
            if percent is None or not 0 <= percent <= 100:
                raise ValidationError(f"Give {domain.name} a score from 0 to 100 per cent.")
            if current.get(domain.pk) != percent:
                changed[domain] = percent
                before = current.get(domain.pk)
                edit.changed[f"score_{domain.number}"] = ["" if before is None else str(before), str(percent)]
        if changed:
            edit.related[name] = changed

    def check(self, edit: Edit) -> None:
        if edit.created:
            given = {domain.pk for domain in edit.related.get("scores", {})}
            if set(AuthorisationDomain.objects.values_list("pk", flat=True)) - given:
                raise ValidationError("Give a score for each of the six authorisation domains.")
        elif not edit.changed and not edit.note:
            raise ValidationError("Nothing was changed: change a score or a field, or write a note.")

    def save(self, edit: Edit) -> None:
        assessment = edit.obj
        assessment.save()
        for domain, percent in edit.related.get("scores", {}).items():
            SelfAssessmentScore.objects.update_or_create(
                assessment=assessment, domain=domain, defaults={"score_percent": percent}
            )


self_assessment_edit = SelfAssessmentEdit()
