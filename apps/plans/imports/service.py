"""The import: one ``apply`` that owns the transaction, the plan's lock and the check that what
is saved is what the user saw.

Under the lock (one import of a plan at a time, and no edit of its deliverables in between),
the file is read again against the plan as it is now and its preview's fingerprint compared
with the one the user confirmed; any difference (someone saved a row, added a theme, the file
was swapped) is an ``ImportConflict`` carrying the current preview, and nothing is saved.
Otherwise everything is written in that one transaction through the plan services: new themes
and objectives, the changed rows (and the conflicting rows the importer chose) in one batch of
the deliverables' edit path (``deliverables_import_update``: locks, versions, one audit
context, a history row each), and the new rows in one insert (``deliverables_create``).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.organisations import permissions

from .. import services
from ..models import Deliverable, ODPlan
from .mapping import Target
from .preview import Preview, build_preview


class ImportConflict(Exception):
    """The plan changed between the preview and the confirmation; nothing was saved.
    ``preview`` is the preview of the file against the plan as it is now (None if it could not
    be made)."""

    def __init__(self, message, preview=None):
        super().__init__(message)
        self.preview = preview


def apply(
    preview: Preview | None = None,
    *,
    acting_user,
    new_plan=None,
    accept=(),
    via="import",
    organisation=None,
    plan=None,
    file_name=None,
    data=None,
    fingerprint=None,
    base_versions=None,
):
    """Carry out an import in one transaction; returns the plan.

    Either ``preview`` (the preview the user saw: its file, target and fingerprint), or the
    pieces of one kept between preview and confirmation: ``organisation``, ``plan`` (None for
    a new plan, made from ``new_plan``'s title and period), ``file_name``, ``data``,
    ``fingerprint`` and ``base_versions``. ``accept`` holds the ids of the conflicting
    deliverables whose row the importer chose to apply over the other person's change; other
    conflicts are left as they are. Raises ImportConflict (nothing saved) if the plan changed
    since the preview, PermissionDenied if the user may not edit the organisation,
    ValidationError if the file has errors."""
    if preview is not None:
        target = preview.target
        organisation, plan = target.organisation, target.plan
        file_name, data = preview.file_name, preview.data
        fingerprint, base_versions = preview.fingerprint(), target.base_versions
        if not preview.ok:
            raise ValidationError("The file has errors: correct them and upload it again.")
    accepted = {int(pk) for pk in accept}
    with transaction.atomic():
        if plan is not None:
            plan = ODPlan.objects.select_for_update().select_related("organisation").get(pk=plan.pk)
            organisation = plan.organisation
        permissions.require_edit(acting_user, organisation)
        current = build_preview(
            target=Target.load(organisation, plan, base_versions), file_name=file_name, data=data
        )
        if not current.ok:
            raise ValidationError("The file has errors: correct them and upload it again.")
        if fingerprint is not None and current.fingerprint() != fingerprint:
            raise ImportConflict("The plan changed since the preview.", preview=current)
        if plan is None:
            plan = services.plan_create(
                organisation=organisation, acting_user=acting_user, **(new_plan or {})
            )
        themes = dict(current.target.themes)
        for number, title in current.new_themes:
            themes[number] = services.theme_add(
                plan=plan, number=number, title=title, acting_user=acting_user
            )
        for number, text in current.new_objectives:
            services.objective_add(theme=themes[number], text=text, acting_user=acting_user)
        changed = current.changed + [o for o in current.conflicts if o.deliverable_id in accepted]
        try:
            services.deliverables_import_update(
                items=[(o.deliverable_id, o.version, o.changes) for o in changed],
                acting_user=acting_user,
                note=current.note,
                via=via,
            )
        except (services.StaleVersionError, Deliverable.DoesNotExist) as exc:  # not under our lock
            raise ImportConflict("A deliverable changed since the preview.") from exc
        try:
            with transaction.atomic():
                services.deliverables_create(
                    plan=plan,
                    rows=[(themes[o.theme_number], o.values, o.domains) for o in current.new],
                    acting_user=acting_user,
                    note=current.note,
                    via=via,
                )
        except IntegrityError as exc:  # someone added a deliverable at one of the references
            raise ImportConflict("A deliverable was added to the plan since the preview.") from exc
    return plan
