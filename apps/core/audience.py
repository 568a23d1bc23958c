"""Who may see a field: one definition, used by the pages and the exports alike.

A model names its fields that only some people may read in ``FIELD_AUDIENCE`` (field name ->
audience); every other field is for everyone who may see the record. The detail pages ask
``may_see`` (through the ``{% audience %}`` template tag) before drawing such a field, and an
export leaves out every column whose field the person exporting may not see
(``visible_columns``), so a file never carries what the page would not show them."""

from typing import Any

EVERYONE = "everyone"
ADMINISTRATORS = "administrators"


def is_administrator(user: Any) -> bool:
    """An administrator of ccgtrack (a superuser): the one definition, used by the permissions."""
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def may_see(user: Any, audience: str) -> bool:
    if audience == EVERYONE:
        return True
    if audience == ADMINISTRATORS:
        return is_administrator(user)
    return False  # an audience this code does not know: nobody


def field_audience(model: Any, name: str) -> str:
    """The audience of ``model``'s field ``name`` (a field path's first step). An audit-trail
    copy of a record (pghistory's event model) has its record's audiences."""
    model = getattr(model, "pgh_tracked_model", None) or model
    return getattr(model, "FIELD_AUDIENCE", {}).get(name.split("__", 1)[0], EVERYONE)


def may_see_field(user: Any, model: Any, name: str) -> bool:
    return may_see(user, field_audience(model, name))


def visible_columns(columns: list, model: Any, user: Any) -> list:
    """The export columns ``user`` may see: a column's own ``audience`` if it has one, else that
    of the model field its source names."""
    kept = []
    for column in columns:
        audience = getattr(column, "audience", None)
        if audience is None:
            source = column.source
            audience = field_audience(model, source) if isinstance(source, str) else EVERYONE
        if may_see(user, audience):
            kept.append(column)
    return kept
