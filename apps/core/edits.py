"""The one versioned, audited edit path of ccgtrack.

Every change of a record that people keep up to date (a deliverable, a risk, a board report's
cover sheet) is made by a ``VersionedEdit``: the edit form, the in-place control, the Django
admin and any import call the same object, so the rules cannot drift apart. An edit

1. locks the row (``SELECT ... FOR UPDATE``),
2. asks the service whether the acting user may change it (``authorise``),
3. refuses a save based on an old version (``StaleVersionError``),
4. allows only the fields the service owns (plus structural fields for administrators),
5. works out what changed (``diff``: the one diff, shown in the confirmation and checked by the
   service's own rule),
6. validates the whole record (``full_clean``, which also checks the model's constraints),
7. saves it inside the audit context (django-pghistory records the row change with who, the
   note and how); PostgreSQL raises the version (a trigger on every UPDATE, whatever the path),
   and the saved object reads it back, and
8. lets the service write its own history row (``record``), linked to that audit context, so
   the history row never stores a second copy of the changed values.

``prepare`` does 1-6 and ``commit`` does 7-8, so a form can validate an edit under the lock and
save it later in the same transaction (the admin does); ``__call__`` does both at once.
"""

from dataclasses import dataclass, field
from typing import Any

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from apps.core.audit import NOTE_MAX_LENGTH, StaleVersionError, diff, field_label


@dataclass
class Edit:
    """An edit checked and ready to be saved."""

    obj: Any
    acting_user: Any
    note: str
    via: str
    before: dict = field(default_factory=dict)
    changed: dict = field(default_factory=dict)
    # Many-to-many values a service sets after the row is saved (outside the row's trigger).
    related: dict[str, Any] = field(default_factory=dict)

    def value_before(self, name: str) -> Any:
        return self.before.get(name, getattr(self.obj, name))


class VersionedEdit:
    """A service's edit path: subclasses name the model and fields and add their own rule."""

    model: type[models.Model]
    fields: tuple[str, ...] = ()
    admin_fields: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()
    clean_exclude: tuple[str, ...] = ()
    note_label = "note"

    # --- hooks -----------------------------------------------------------------------------
    def may_edit(self, user, obj) -> bool:
        """Whether ``user`` may change ``obj`` (the organisations app's permission rules)."""
        return False

    def is_administrator(self, user) -> bool:
        """Administrators may also change the structural ``admin_fields`` (through the admin)."""
        return False

    def check(self, edit: Edit) -> None:
        """The service's own rule; raise ValidationError to refuse the edit."""

    def record(self, edit: Edit, audit_context_id) -> None:
        """Write the service's history row."""

    # --- the path --------------------------------------------------------------------------
    def allowed_fields(self, user) -> tuple[str, ...]:
        return self.fields + (self.admin_fields if self.is_administrator(user) else ())

    def authorise(self, user, obj) -> None:
        if not self.may_edit(user, obj):
            raise PermissionDenied("Only staff of the owning organisation may change this.")

    def lock(self, pk: Any) -> Any:
        return (
            self.model._default_manager.select_for_update(of=("self",))
            .select_related(*self.select_related)
            .get(pk=pk)
        )

    def prepare(self, *, pk, acting_user, expected_version, changes, note="", via="ccgtrack") -> Edit:
        """Steps 1-6: the edit, checked under a row lock (call inside a transaction)."""
        obj = self.lock(pk)
        self.authorise(acting_user, obj)
        if expected_version != obj.version:
            raise StaleVersionError(obj)
        unknown = set(changes) - set(self.allowed_fields(acting_user))
        if unknown:
            names = sorted(field_label(self.model, name).lower() for name in unknown)
            raise ValidationError(f"These fields cannot be changed here: {', '.join(names)}.")
        note = (note or "").strip()
        if len(note) > NOTE_MAX_LENGTH:
            raise ValidationError({self.note_label: f"Keep the note to {NOTE_MAX_LENGTH} characters."})
        before = {name: getattr(obj, name) for name in changes}
        for name, value in changes.items():
            setattr(obj, name, value.strip() if isinstance(value, str) else value)
        edit = Edit(obj=obj, acting_user=acting_user, note=note, via=via, before=before)
        edit.changed = diff(before, obj, changes)
        self.check(edit)
        obj.full_clean(exclude=list(self.clean_exclude))
        return edit

    def commit(self, edit: Edit) -> Any:
        """Steps 7-8: save in the audit context (the database raises the version) and record
        history."""
        obj = edit.obj
        user_id = getattr(edit.acting_user, "pk", None)
        with pghistory.context(user=user_id, note=edit.note, via=edit.via) as audit:
            obj.save()
        obj.refresh_from_db(fields=["version"])
        self.record(edit, audit.id)
        return obj

    def __call__(
        self,
        *,
        pk: Any,
        acting_user: Any,
        expected_version: int | None,
        changes: dict[str, Any],
        note: str = "",
        via: str = "ccgtrack",
    ) -> Any:
        with transaction.atomic():
            edit = self.prepare(
                pk=pk,
                acting_user=acting_user,
                expected_version=expected_version,
                changes=changes,
                note=note,
                via=via,
            )
            return self.commit(edit)
