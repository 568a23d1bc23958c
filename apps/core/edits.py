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

``prepare_many`` and ``commit_many`` take the same path for many records at once (a plan import
of a thousand rows): one locking query for all of them, the permission asked once per
organisation (``authorisation_key``), each record's version checked, diffed and validated as
above, then one UPDATE of all of them inside one audit context (PostgreSQL's triggers still
raise each version and write each audit event), the versions read back in one query and the
service's history rows written together (``record_many``). Batches validate fields in Python
(``full_clean`` without the per-row constraint queries) and leave the constraints to PostgreSQL,
which checks every row of the UPDATE: a refusal undoes the whole batch. (Other kinds of write
can use the same two steps: a subclass names its model and fields as for one edit.)
"""

from dataclasses import dataclass, field
from typing import Any

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models, transaction
from django.utils import timezone

from apps.core.audit import NOTE_MAX_LENGTH, StaleVersionError, diff


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


def update_rows(model, objs, names, batch_size=500) -> None:
    """UPDATE the fields ``names`` of ``objs`` to their values on the objects: one statement per
    ``batch_size`` rows, joined to a VALUES list (Django's ``bulk_update`` builds a CASE of every
    row for every field, which PostgreSQL evaluates row by row: seconds for a thousand). Row
    triggers (versions, the audit trail) fire for each row as for any UPDATE."""
    connection = connections[model._default_manager.db]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    pk = model._meta.pk
    columns = [pk, *fields]
    casts = [f"%s::{field.cast_db_type(connection)}" for field in columns]
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    table = quote(model._meta.db_table)
    names_sql = ", ".join(quote(f.column) for f in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            values = ", ".join(f"({', '.join(casts)})" for _ in batch)
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection)
                for obj in batch
                for field in columns
            ]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v({names_sql}) "
                f"WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}",
                params,
            )


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

    def authorisation_key(self, obj) -> Any:
        """What ``may_edit`` depends on, so that a batch asks it once per key (default: the
        record itself, i.e. every time)."""
        return ("record", obj.pk)

    def record_many(self, edits: list[Edit], audit_context_id) -> None:
        """Write the history rows of a batch (default: ``record`` for each)."""
        for edit in edits:
            self.record(edit, audit_context_id)

    def lock(self, pk: Any) -> Any:
        return (
            self.model._default_manager.select_for_update(of=("self",))
            .select_related(*self.select_related)
            .get(pk=pk)
        )

    def lock_many(self, pks) -> dict:
        """The records ``pks``, locked in one query, in primary-key order (two batches that
        overlap wait for each other rather than deadlock)."""
        rows = (
            self.model._default_manager.select_for_update(of=("self",))
            .select_related(*self.select_related)
            .filter(pk__in=list(pks))
            .order_by("pk")
        )
        return {obj.pk: obj for obj in rows}

    def prepare(self, *, pk, acting_user, expected_version, changes, note="", via="ccgtrack") -> Edit:
        """Steps 1-6: the edit, checked under a row lock (call inside a transaction)."""
        obj = self.lock(pk)
        self.authorise(acting_user, obj)
        return self._prepare_locked(obj, acting_user, expected_version, changes, note, via)

    def _prepare_locked(
        self, obj, acting_user, expected_version, changes, note, via, *, validate_constraints=True
    ) -> Edit:
        if expected_version != obj.version:
            raise StaleVersionError(obj)
        unknown = set(changes) - set(self.allowed_fields(acting_user))
        if unknown:
            raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
        note = (note or "").strip()
        if len(note) > NOTE_MAX_LENGTH:
            raise ValidationError({self.note_label: f"Keep the note to {NOTE_MAX_LENGTH} characters."})
        before = {name: getattr(obj, name) for name in changes}
        for name, value in changes.items():
            setattr(obj, name, value.strip() if isinstance(value, str) else value)
        edit = Edit(obj=obj, acting_user=acting_user, note=note, via=via, before=before)
        edit.changed = diff(before, obj, changes)
        self.check(edit)
        if validate_constraints:
            obj.full_clean(exclude=list(self.clean_exclude))
        else:  # a batch: PostgreSQL checks the constraints of every row of its one UPDATE
            obj.full_clean(
                exclude=list(self.clean_exclude), validate_unique=False, validate_constraints=False
            )
        return edit

    def prepare_many(self, *, items, acting_user, note="", via="ccgtrack") -> list[Edit]:
        """Steps 1-6 for many records: ``items`` are (pk, expected version, changes, note or
        None for ``note``). Raises as ``prepare`` does, for the first record that fails (call
        inside a transaction: nothing of the batch is then saved); a pk that is gone raises
        the model's DoesNotExist."""
        items = list(items)
        locked = self.lock_many(pk for pk, *_ in items)
        allowed: dict[Any, bool] = {}
        edits = []
        for pk, expected_version, changes, own_note in items:
            obj = locked.get(pk)
            if obj is None:
                missing = self.model.DoesNotExist  # type: ignore[attr-defined]  # every concrete model has it
                raise missing(f"{self.model._meta.verbose_name} {pk} no longer exists.")
            key = self.authorisation_key(obj)
            if key not in allowed:
                allowed[key] = self.may_edit(acting_user, obj)
            if not allowed[key]:
                self.authorise(acting_user, obj)  # raises PermissionDenied with its message
            edits.append(
                self._prepare_locked(
                    obj,
                    acting_user,
                    expected_version,
                    changes,
                    note if own_note is None else own_note,
                    via,
                    validate_constraints=False,
                )
            )
        return edits

    def commit_many(self, edits: list[Edit], *, note: str = "", via: str = "ccgtrack") -> list:
        """Steps 7-8 for a batch: one UPDATE of every record in one audit context (``note`` and
        ``via`` its metadata; each history row keeps its edit's own note), the versions read
        back in one query, the history rows written by ``record_many``."""
        if not edits:
            return []
        objs = [edit.obj for edit in edits]
        names = {"updated_at"} if any(f.name == "updated_at" for f in self.model._meta.fields) else set()
        for edit in edits:
            names.update(name for name in edit.before if name not in edit.related)
        now = timezone.now()
        for obj in objs:
            if "updated_at" in names:
                obj.updated_at = now
        user_id = getattr(edits[0].acting_user, "pk", None)
        with pghistory.context(user=user_id, note=note, via=via) as audit:
            update_rows(self.model, objs, sorted(names))
        versions = dict(
            self.model._default_manager.filter(pk__in=[o.pk for o in objs]).values_list("pk", "version")
        )
        for obj in objs:
            obj.version = versions[obj.pk]
        self.record_many(edits, audit.id)
        return objs

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
