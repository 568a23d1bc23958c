"""Shared pieces of ccgtrack's audited writes: the version conflict, how a changed value is
shown, and reading the PostgreSQL audit trail (django-pghistory) of one record."""

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from pghistory.models import Events

from apps.core.bounds import NOTE_MAX_LENGTH  # noqa: F401  (progress and review notes)

HIDDEN_FIELDS = {"updated_at", "created_at", "version"}


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
class AuditEvent:
    """One audit-trail event as the history shows it: when, what kind (``label``), who acted,
    the note they gave and the fields it changed ({field: [before, after]})."""

    created_at: datetime.datetime
    label: str
    context_id: uuid.UUID | None
    actor: AbstractBaseUser | None
    note: str
    changed: dict[str, list[str]]
    # The event model ("app.ModelEvent") and the row as the event recorded it.
    model: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryEntry(Generic[Row]):
    """A history row (a status update, a review) with the audit event of the same change."""

    row: Row
    event: AuditEvent | None

    @property
    def changed(self) -> dict[str, list[str]]:
        """The fields that change altered: read from the audit trail, never stored twice."""
        return self.event.changed if self.event else {}


def audit_events(obj: models.Model, *, referencing: bool = False) -> list[AuditEvent]:
    """Every audit-trail event of ``obj``, newest first, with the acting user, the note given,
    and the changed fields (three queries whatever the number of events). ``referencing``: also
    the events of the rows that point to ``obj`` (a self-assessment's scores)."""
    events = Events.objects.references(obj) if referencing else Events.objects.tracks(obj)
    events = list(events.order_by("-pgh_created_at", "-pgh_id"))
    user_ids = {e.pgh_context.get("user") for e in events if e.pgh_context and e.pgh_context.get("user")}
    users: dict[Any, AbstractBaseUser] = (
        {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    )
    result = []
    for event in events:
        context = event.pgh_context or {}
        result.append(
            AuditEvent(
                created_at=event.pgh_created_at,
                label=event.pgh_label,
                context_id=event.pgh_context_id,
                actor=users.get(context.get("user")),
                note=context.get("note", ""),
                changed={f: v for f, v in (event.pgh_diff or {}).items() if f not in HIDDEN_FIELDS},
                model=event.pgh_model,
                data=event.pgh_data or {},
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
