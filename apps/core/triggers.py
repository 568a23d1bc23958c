"""PostgreSQL triggers shared by ccgtrack's models (django-pgtrigger), so the database itself
holds two rules whatever path writes to it: the ORM, a bulk ``update()``, ``loaddata`` or SQL.

- ``append_only()``: history rows are never changed or deleted.
- ``raise_version()``: every UPDATE of a versioned record raises its ``version``, so a form
  opened before any write (even one that did not go through the edit path) gets a conflict.
"""

import pgtrigger


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
