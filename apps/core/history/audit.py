"""Shared pieces of ccgtrack's audited writes: the version conflict, how a changed value is
shown, and reading the PostgreSQL audit trail (django-pghistory) of one record."""

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from pghistory.models import Events

HIDDEN_FIELDS = {"updated_at", "created_at", "version"}

# How the history names a field where its model's own name would not be understood (the
# forms' labels); any other field by its verbose name.
LABELS = {
    "owner_text": "Owner (as first recorded)",
    "deadline_text": "Deadline (as the plan states it)",
    "cost_text": "Cost (as the plan states it)",
    "cost_amount": "Cost (£)",
    "delivered_narrative": "Delivered",
    "in_progress_narrative": "In progress",
    "next_review_on": "Next review",
    "archived_at": "Archived",
    "source_status": "Status in the source",
    "source_note": "Source note",
}
# What an audit event was, and how the change was made (the audit context's "via").
EVENT_LABELS = {"insert": "Created", "update": "Changed", "delete": "Deleted"}
VIA_LABELS = {
    "form": "on its page",
    "in-place": "from a list",
    "admin": "in the admin",
    "import": "by a plan import",
    "people page": "on the people page",
    "api": "through the API",
    "load_seed": "when the first records were loaded",
    "load_seed --reset": "when the first records were loaded again",
}


class LinkedRow(Protocol):
    """A history row that keeps the audit context of its change."""

    @property
    def audit_context_id(self) -> Any: ...


Row = TypeVar("Row", bound=LinkedRow)


class StaleVersionError(Exception):
    """Someone else saved the record after this editor loaded it."""

    def __init__(self, current: Any) -> None:
        super().__init__("This record was changed by someone else while you were editing it.")
        self.current = current


def display(value: object) -> str:
    """A changed value as the history shows it."""
    if value is None:
        return ""
    if hasattr(value, "get_username"):
        return value.get_username()
    return str(value)


def diff(before: dict[str, Any], after_obj: object, fields: Iterable[str]) -> dict[str, list[str]]:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        field: [display(before[field]), display(getattr(after_obj, field))]
        for field in fields
        if before[field] != getattr(after_obj, field)
    }


@dataclass(frozen=True)
class Change:
    """One field's change as people read it: the field's label, and the values before and after
    in words (a choice by its label, a person by name, a date written out, "none")."""

    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditEvent:
    """One audit-trail event as the history shows it: when, what kind (``label``), who acted,
    the note they gave and the fields it changed ({field: [before, after]}, as stored; the
    same in people's words: ``changes``)."""

    created_at: datetime.datetime
    label: str
    context_id: uuid.UUID | None
    actor: AbstractBaseUser | None
    note: str
    changed: dict[str, list[str]]
    # The event model ("app.ModelEvent") and the row as the event recorded it.
    model: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    via: str = ""

    @property
    def what(self) -> str:
        """The event in words: "Changed in the admin", "Created when the first records were loaded"."""
        what = EVENT_LABELS.get(self.label, capfirst(self.label))
        return f"{what} {VIA_LABELS[self.via]}" if self.via in VIA_LABELS else what


@dataclass(frozen=True)
class HistoryEntry(Generic[Row]):
    """A history row (a status update, a review) with the audit event of the same change."""

    row: Row
    event: AuditEvent | None

    @property
    def changed(self) -> dict[str, list[str]]:
        """The fields that change altered: read from the audit trail, never stored twice."""
        return self.event.changed if self.event else {}

    @property
    def other_changes(self) -> tuple[Change, ...]:
        """What else that change altered, in people's words (the row itself says the status)."""
        return tuple(c for c in self.event.changes if c.field != "status") if self.event else ()


def field_label(model: type[models.Model], name: str) -> str:
    """How the history names ``model``'s field ``name`` (a field name or its column, "owner_id")."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return capfirst(name.removesuffix("_id").replace("_", " "))
    return LABELS.get(field.name) or capfirst(str(getattr(field, "verbose_name", field.name)))


def _in_words(field: Any, value: Any, related: dict[tuple[Any, Any], Any]) -> str:
    """A value of ``field`` as kept in the audit trail (JSON), in people's words."""
    if value is None or value == "":
        return "none"
    if field is None:
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        obj = related.get((field.related_model, value))
        if obj is None:
            return "a record since deleted"
        return (obj.get_full_name() or obj.get_username()) if hasattr(obj, "get_username") else str(obj)
    kind = field.get_internal_type()
    if kind == "BooleanField":
        return "Yes" if value else "No"
    if kind == "DateField" and isinstance(value, str) and (day := parse_date(value)):
        return date_format(day, "j F Y")
    if kind == "DateTimeField" and isinstance(value, str) and (moment := parse_datetime(value)):
        return date_format(timezone.localtime(moment), "j F Y, H:i")
    return str(value)


def describe_changes(
    model: type[models.Model],
    diffs: list[dict[str, list[Any]]],
    known: dict[tuple[Any, Any], Any] | None = None,
) -> list[tuple[Change, ...]]:
    """Each diff ({field: [before, after]}, as the audit trail keeps it) in people's words, the
    records they name read in one query per kind of record, less those ``known`` already
    ({(model, pk): record})."""
    known = known or {}
    fields: dict[str, Any] = {}
    wanted: dict[Any, set[Any]] = {}
    for diff_ in diffs:
        for name, values in diff_.items():
            try:
                field = fields.setdefault(name, model._meta.get_field(name))
            except FieldDoesNotExist:
                fields[name] = None
                continue
            if field.is_relation and field.related_model is not None:
                kind = field.related_model
                wanted.setdefault(kind, set()).update(
                    v for v in values if v is not None and (kind, v) not in known
                )
    related = dict(known)
    for kind, pks in wanted.items():
        if pks:
            related.update(((kind, obj.pk), obj) for obj in kind._default_manager.filter(pk__in=pks))
    return [
        tuple(
            Change(
                field=getattr(fields.get(name), "name", name),
                label=field_label(model, name),
                before=_in_words(fields.get(name), values[0], related),
                after=_in_words(fields.get(name), values[1], related),
            )
            for name, values in diff_.items()
        )
        for diff_ in diffs
    ]


def audit_events(obj: models.Model, *, referencing: bool = False) -> list[AuditEvent]:
    """Every audit-trail event of ``obj``, newest first, with the acting user, the note given,
    and the changed fields, also in people's words (three queries whatever the number of
    events, and one for each other kind of record a change names). ``referencing``: also the
    events of the rows that point to ``obj`` (a self-assessment's scores)."""
    events = Events.objects.references(obj) if referencing else Events.objects.tracks(obj)
    events = list(events.order_by("-pgh_created_at", "-pgh_id"))
    diffs = [{f: v for f, v in (e.pgh_diff or {}).items() if f not in HIDDEN_FIELDS} for e in events]
    # The people who acted and those the changes name (an owner), in one query.
    user_model = get_user_model()
    user_columns = {f.attname for f in type(obj)._meta.concrete_fields if f.related_model is user_model}
    user_ids = {e.pgh_context.get("user") for e in events if e.pgh_context and e.pgh_context.get("user")}
    user_ids |= {v for d in diffs for name in d.keys() & user_columns for v in d[name] if v is not None}
    users: dict[Any, AbstractBaseUser] = (
        {u.pk: u for u in user_model.objects.filter(pk__in=user_ids)} if user_ids else {}
    )
    described = describe_changes(type(obj), diffs, known={(user_model, pk): u for pk, u in users.items()})
    result = []
    for event, changed, changes in zip(events, diffs, described, strict=True):
        context = event.pgh_context or {}
        result.append(
            AuditEvent(
                created_at=event.pgh_created_at,
                label=event.pgh_label,
                context_id=event.pgh_context_id,
                actor=users.get(context.get("user")),
                note=context.get("note", ""),
                changed=changed,
                model=event.pgh_model,
                data=event.pgh_data or {},
                changes=changes,
                via=context.get("via", ""),
            )
        )
    return result


def link_events(rows: Iterable[Row], events: list[AuditEvent]) -> list[HistoryEntry[Row]]:
    """Each history row with the audit event of the same change (matched on the audit context
    the row keeps). Rows and events of one record, already loaded."""
    by_context: dict[uuid.UUID, AuditEvent] = {}
    for event in events:
        if event.context_id:
            by_context.setdefault(event.context_id, event)
    return [HistoryEntry(row, by_context.get(row.audit_context_id)) for row in rows]
