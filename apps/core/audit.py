"""Shared pieces of ccgtrack's audited writes: the version conflict, how a changed value is
shown, and reading the PostgreSQL audit trail (django-pghistory) of one record."""

from django.contrib.auth import get_user_model
from pghistory.models import Events

from apps.core.bounds import NOTE_MAX_LENGTH  # noqa: F401  (progress and review notes)

HIDDEN_FIELDS = {"updated_at", "created_at", "version"}


class StaleVersionError(Exception):
    """Someone else saved the record after this editor loaded it."""

    def __init__(self, current):
        super().__init__("This record was changed by someone else while you were editing it.")
        self.current = current


def display(value):
    """A changed value as the history shows it."""
    if value is None:
        return ""
    if hasattr(value, "get_username"):
        return value.get_username()
    return str(value)


def diff(before, after_obj, fields):
    """{field: [before, after]} for the fields whose value changed."""
    return {
        field: [display(before[field]), display(getattr(after_obj, field))]
        for field in fields
        if before[field] != getattr(after_obj, field)
    }


def audit_events(obj):
    """Every audit-trail event of ``obj``, newest first, with the acting user, the note given,
    and the changed fields (three queries whatever the number of events)."""
    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id"))
    user_ids = {e.pgh_context.get("user") for e in events if e.pgh_context and e.pgh_context.get("user")}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    for event in events:
        context = event.pgh_context or {}
        event.actor = users.get(context.get("user"))
        event.note = context.get("note", "")
        event.changed = {f: v for f, v in (event.pgh_diff or {}).items() if f not in HIDDEN_FIELDS}
    return events


def link_events(rows, events):
    """Give each history row (a status update, a review) the audit event of the same change, as
    ``row.event``, and the fields that change altered, as ``row.changed``: what changed is read
    from the audit trail, never stored twice. Rows and events of one record, already loaded."""
    by_context = {}
    for event in events:
        if event.pgh_context_id:
            by_context.setdefault(event.pgh_context_id, event)
    for row in rows:
        row.event = by_context.get(row.audit_context_id)
        row.changed = row.event.changed if row.event else {}
    return rows
