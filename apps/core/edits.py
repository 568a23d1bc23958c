"""The one versioned, audited edit path of ccgtrack.

Every change of a record that people keep up to date (a deliverable, a risk, a board report's
cover sheet, a theme, an objective, a self-assessment) is made by a ``VersionedEdit``: the edit
form, the in-place control, the Django admin and any import call the same object, so the rules
cannot drift apart. An edit

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

Two more kinds of write take the same path:

- ``create``: a new record. Instead of 1 and 3 the service builds the unsaved record
  (``new_object``, which locks the parent row where the record takes a place in it, such as the
  next position in a theme); 2 asks the same permission of the organisation the new record
  would belong to; 4 allows the service's ``create_fields``; 5 is the diff from nothing; 6-8 as
  for an edit (the audit trail records an insert; ``Edit.created`` tells ``record`` so).
- ``set_archived``: archive or restore, an edit of ``archive_field`` alone, which anyone who may
  edit the record may make (the other structural fields stay administrators').

Values that are not columns of the row (``related_fields``: many-to-many fields such as
authorisation domains, or a record's child rows) are taken out of the changes, compared by
``relate`` and written by ``save`` inside the same audit context. The audit trail does not
record a many-to-many change, so ``Edit.history_note`` writes it into the history row's note.

``prepare_many`` and ``commit_many`` take the same path for many records at once (a plan import
of a thousand rows): one locking query for all of them, the permission asked once per
organisation (``authorisation_key``), each record's version checked, diffed and validated as
above, then one UPDATE of all of them inside one audit context (PostgreSQL's triggers still
raise each version and write each audit event), their many-to-many values written together, the
versions read back in one query and the service's history rows written together
(``record_many``). Batches validate fields in Python (``full_clean`` without the per-row
constraint queries) and leave the constraints to PostgreSQL, which checks every row of the
UPDATE: a refusal undoes the whole batch.
"""

from dataclasses import dataclass, field
from typing import Any

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models, transaction
from django.utils import timezone

from apps.core.bounds import NOTE_MAX_LENGTH
from apps.core.history.audit import StaleVersionError, diff, display, field_label


def _checked_with(obj: Any, changed: set[str]) -> set[str]:
    """The fields validated again when ``changed`` change: those, and every field a constraint
    names together with one of them (a residual score is checked against the inherent one)."""
    fields = set(changed)
    for constraint in obj._meta.constraints:
        condition = getattr(constraint, "condition", None)
        names = set(getattr(constraint, "fields", ()) or ())
        if isinstance(condition, models.Q):
            names |= set(condition.referenced_base_fields)
        if names & changed:
            fields |= names
    return fields


@dataclass
class Edit:
    """An edit (or a new record) checked and ready to be saved."""

    obj: Any
    acting_user: Any
    note: str
    via: str
    before: dict = field(default_factory=dict)
    changed: dict = field(default_factory=dict)
    # Values a service writes after the row is saved (many-to-many, child rows), by name.
    related: dict[str, Any] = field(default_factory=dict)
    # How a related change reads in the history row's note, e.g. "Authorisation domains: 1 → 1; 3."
    related_notes: list[str] = field(default_factory=list)
    created: bool = False

    def value_before(self, name: str) -> Any:
        return self.before.get(name, getattr(self.obj, name))

    @property
    def history_note(self) -> str:
        """The note, with the related changes the audit trail does not record."""
        return " ".join(part for part in (self.note, *self.related_notes) if part)


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
    # What a new record may be given (``create``), its parent included.
    create_fields: tuple[str, ...] = ()
    # Names in ``changes`` that are not columns of the row, with the label the history uses.
    related_fields: dict[str, str] = {}
    # The field that archives the record (a moment; None restores it), if it can be archived.
    archive_field = ""
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

    def authorisation_key(self, obj) -> Any:
        """What ``may_edit`` depends on, so that a batch asks it once per key (default: the
        record itself, i.e. every time)."""
        return ("record", obj.pk)

    def record_many(self, edits: list[Edit], audit_context_id) -> None:
        """Write the history rows of a batch (default: ``record`` for each)."""
        for edit in edits:
            self.record(edit, audit_context_id)

    def new_object(self, values: dict[str, Any]) -> Any:
        """The unsaved new record (called inside the transaction: a service that gives the record
        a place among its siblings locks their parent here)."""
        return self.model(**values)

    def relate(self, edit: Edit, name: str, value: Any) -> None:
        """Compare a related value (by default a many-to-many field, given as a list of objects)
        with the record's and keep it in ``edit.related`` when it differs."""
        before = list(getattr(edit.obj, name).all()) if edit.obj.pk else []
        if sorted(o.pk for o in before) == sorted(o.pk for o in value):
            return
        edit.related[name] = list(value)
        shown = [self.related_display(name, before), self.related_display(name, value)]
        edit.changed[name] = shown
        edit.related_notes.append(
            f"{self.related_fields[name]}: {shown[0] or 'none'} → {shown[1] or 'none'}."
        )

    def related_display(self, name: str, objs: Any) -> str:
        return "; ".join(sorted(display(o) for o in objs))

    def save(self, edit: Edit) -> None:
        """Save the row and its related values (inside the audit context)."""
        edit.obj.save()
        for name, value in edit.related.items():
            getattr(edit.obj, name).set(value)

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

    def _checked(
        self, edit: Edit, changes: dict[str, Any], allowed: tuple[str, ...], *, validate_constraints=True
    ) -> Edit:
        """Steps 4-6, shared by an edit, a new record and a batch: the fields allowed, the note,
        the values set, the diff, the service's rule and the whole record's validation (for a
        batch, without the constraints: PostgreSQL checks every row of its one UPDATE)."""
        unknown = set(changes) - set(allowed)
        if unknown:
            names = sorted(field_label(self.model, name).lower() for name in unknown)
            raise ValidationError(f"These fields cannot be changed here: {', '.join(names)}.")
        if len(edit.note) > NOTE_MAX_LENGTH:
            raise ValidationError({self.note_label: f"Keep the note to {NOTE_MAX_LENGTH} characters."})
        related = {name: changes.pop(name) for name in list(changes) if name in self.related_fields}
        obj = edit.obj
        edit.before = {} if edit.created else {name: getattr(obj, name) for name in changes}
        for name, value in changes.items():
            setattr(obj, name, value.strip() if isinstance(value, str) else value)
        if edit.created:
            edit.changed = {
                name: ["", display(getattr(obj, name))]
                for name in changes
                if getattr(obj, name) not in (None, "")
            }
        else:
            edit.changed = diff(edit.before, obj, changes)
        for name, value in related.items():
            self.relate(edit, name, value)
        self.check(edit)
        if validate_constraints and not edit.created:
            # What the edit leaves as it was was checked when it was written, and PostgreSQL
            # holds the constraints: only the changed fields, and the constraints and unique
            # checks that name one of them, are checked again (a status change checked the
            # record's nine constraints and its theme, one query each: 47 queries, now 28).
            checked = _checked_with(obj, {*changes, *related})
            unchanged = [f.name for f in obj._meta.concrete_fields if f.name not in checked]
            obj.full_clean(exclude=[*self.clean_exclude, *unchanged])
        elif validate_constraints:
            obj.full_clean(exclude=list(self.clean_exclude))
        else:
            obj.full_clean(
                exclude=list(self.clean_exclude), validate_unique=False, validate_constraints=False
            )
        return edit

    def prepare(
        self,
        *,
        pk,
        acting_user,
        expected_version,
        changes,
        note="",
        via="ccgtrack",
        allowed: tuple[str, ...] | None = None,
    ) -> Edit:
        """Steps 1-6: the edit, checked under a row lock (call inside a transaction). ``allowed``
        narrows or widens the fields for one kind of write (``set_archived``)."""
        obj = self.lock(pk)
        self.authorise(acting_user, obj)
        if expected_version != obj.version:
            raise StaleVersionError(obj)
        edit = Edit(obj=obj, acting_user=acting_user, note=(note or "").strip(), via=via)
        fields = self.allowed_fields(acting_user) if allowed is None else allowed
        return self._checked(edit, dict(changes), fields + tuple(self.related_fields))

    def prepare_create(self, *, acting_user, values, note="", via="ccgtrack") -> Edit:
        """A new record, checked (call inside a transaction): permission on the organisation it
        would belong to, the fields a new record may be given, the rule, ``full_clean``."""
        values = dict(values)
        columns = {name: value for name, value in values.items() if name not in self.related_fields}
        unknown = set(columns) - set(self.create_fields)
        if unknown:
            names = sorted(field_label(self.model, name).lower() for name in unknown)
            raise ValidationError(f"These fields cannot be set here: {', '.join(names)}.")
        obj = self.new_object(columns)
        self.authorise(acting_user, obj)
        edit = Edit(obj=obj, acting_user=acting_user, note=(note or "").strip(), via=via, created=True)
        return self._checked(edit, values, self.create_fields + tuple(self.related_fields))

    def prepare_many(self, *, items, acting_user, note="", via="ccgtrack") -> list[Edit]:
        """Steps 1-6 for many records: ``items`` are (pk, expected version, changes, note or
        None for ``note``). Raises as ``prepare`` does, for the first record that fails (call
        inside a transaction: nothing of the batch is then saved); a pk that is gone raises
        the model's DoesNotExist."""
        items = list(items)
        locked = self.lock_many(pk for pk, *_ in items)
        allowed: dict[Any, bool] = {}
        fields = self.allowed_fields(acting_user) + tuple(self.related_fields)
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
            if expected_version != obj.version:
                raise StaleVersionError(obj)
            own = note if own_note is None else own_note
            edit = Edit(obj=obj, acting_user=acting_user, note=(own or "").strip(), via=via)
            edits.append(self._checked(edit, dict(changes), fields, validate_constraints=False))
        return edits

    def save_related_many(self, edits: list[Edit]) -> None:
        """Write the related values of a batch: a many-to-many field's rows of every record in
        one DELETE and one INSERT; other related values through ``save``'s way, record by record."""
        for name in self.related_fields:
            changed = [e for e in edits if name in e.related]
            if not changed:
                continue
            field_ = self.model._meta.get_field(name)
            if not isinstance(field_, models.ManyToManyField):
                for edit in changed:
                    getattr(edit.obj, name).set(edit.related[name])
                continue
            through: Any = field_.remote_field.through
            source, target = field_.m2m_column_name(), field_.m2m_reverse_name()
            through._default_manager.filter(**{f"{source}__in": [e.obj.pk for e in changed]}).delete()
            through._default_manager.bulk_create(
                [through(**{source: e.obj.pk, target: o.pk}) for e in changed for o in e.related[name]],
                batch_size=1000,
            )

    def commit_many(self, edits: list[Edit], *, note: str = "", via: str = "ccgtrack") -> list:
        """Steps 7-8 for a batch: one UPDATE of every record in one audit context (``note`` and
        ``via`` its metadata; each history row keeps its edit's own note), the related values
        written together, the versions read back in one query, the history rows written by
        ``record_many``."""
        if not edits:
            return []
        objs = [edit.obj for edit in edits]
        names = {"updated_at"} if any(f.name == "updated_at" for f in self.model._meta.fields) else set()
        for edit in edits:
            names.update(edit.before)
        now = timezone.now()
        for obj in objs:
            if "updated_at" in names:
                obj.updated_at = now
        user_id = getattr(edits[0].acting_user, "pk", None)
        with pghistory.context(user=user_id, note=note, via=via) as audit:
            update_rows(self.model, objs, sorted(names))
            self.save_related_many(edits)
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
            self.save(edit)
        if hasattr(obj, "version"):
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
        allowed: tuple[str, ...] | None = None,
    ) -> Any:
        with transaction.atomic():
            edit = self.prepare(
                pk=pk,
                acting_user=acting_user,
                expected_version=expected_version,
                changes=changes,
                note=note,
                via=via,
                allowed=allowed,
            )
            return self.commit(edit)

    def create(
        self, *, acting_user: Any, values: dict[str, Any], note: str = "", via: str = "ccgtrack"
    ) -> Any:
        """Add a new record with ``values``: permission, the rule, validation, the audited insert
        and the service's first history row, in one transaction."""
        with transaction.atomic():
            return self.commit(
                self.prepare_create(acting_user=acting_user, values=values, note=note, via=via)
            )

    def set_archived(
        self,
        *,
        pk: Any,
        acting_user: Any,
        expected_version: int | None,
        archived: bool,
        note: str = "",
        via: str = "ccgtrack",
    ) -> Any:
        """Archive the record (it leaves every list, dashboard and report and keeps its history)
        or restore it: the edit path, allowing ``archive_field`` alone."""
        if not self.archive_field:
            raise ValidationError(f"A {self.model._meta.verbose_name} cannot be archived.")
        return self(
            pk=pk,
            acting_user=acting_user,
            expected_version=expected_version,
            changes={self.archive_field: timezone.now() if archived else None},
            note=note,
            via=via,
            allowed=(self.archive_field,),
        )
