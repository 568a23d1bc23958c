"""What PostgreSQL does on every write of a record people keep, whatever path writes (the ORM, a
bulk ``update()``, ``loaddata`` or SQL), declared on the models here:

- ``track_changes()``: django-pghistory's audit trail (an event per insert, update and delete,
  append-only), which the edit path fills in with who, the note and how (``pghistory.context``);
- ``raise_version()``: every UPDATE of a versioned record raises its ``version``, so a form
  opened before any write (even one that did not go through the edit path) gets a conflict;
- ``append_only()``: history rows are never changed or deleted; ``audit_context_field()`` links
  such a row (a status update, a review) to the audit context of the same change.

The third mechanism, the data versions that cached pages are keyed by, is installed on every
table after each ``migrate`` (``apps.core.history.data_versions``), so models declare nothing.
"""

from collections.abc import Sequence

import pghistory
import pgtrigger
from django.db import models


def track_changes(*, exclude: Sequence[str] = ()):
    """pghistory's tracking of a record people add and edit (inserts, updates and deletes,
    append-only), as every tracked model of ccgtrack has it. ``exclude``: columns derived from
    tracked ones (a search document), which the audit trail does not record twice."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        append_only=True,
        exclude=list(exclude) or None,
    )


def append_only():
    """Refuse UPDATE and DELETE of a history row (the same trigger pghistory's
    ``append_only=True`` puts on its event tables)."""
    return pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


def raise_version():
    """BEFORE UPDATE: ``NEW.version = OLD.version + 1``, whatever version the writer sent."""
    return pgtrigger.Trigger(
        name="raise_version",
        when=pgtrigger.Before,
        operation=pgtrigger.Update,
        func="NEW.version := OLD.version + 1; RETURN NEW;",
    )


def audit_context_field():
    """The link from a history row (a status update, a risk review) to the audit-trail context of
    the same change, where what changed is recorded (so the row does not copy it)."""
    return models.ForeignKey(
        "pghistory.Context",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The audit-trail context of the same change: what changed is read from there.",
    )
