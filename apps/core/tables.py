import django_tables2 as tables
from django.db import models
from django.utils.html import format_html
from django_tables2.utils import AttributeDict


class NumberColumn(tables.Column):
    """A right-aligned figure with thousands separators (exports write their own typed
    columns: ``apps.core.exports``)."""

    def __init__(self, *args, decimals=0, **kwargs):
        self.decimals = decimals
        attrs = kwargs.pop("attrs", {})
        attrs.setdefault("td", {"class": "num"})
        attrs.setdefault("th", {"class": "num"})
        attrs.setdefault("tf", {"class": "num"})
        super().__init__(*args, attrs=attrs, **kwargs)

    def render(self, value):
        return f"{value:,.{self.decimals}f}"


def badge(css_class, text):
    return format_html('<span class="badge {}">{}</span>', css_class, text)


class CardTable(tables.Table):
    """A list table that is a stack of cards on a phone: nhsuk-frontend's responsive table
    (templates/django_tables2/table.html writes each cell's heading and the roles; the cards'
    layout is in static/css/app.css). A column places its cell on the card with a td class:
    "card-title", "card-full", "card-flag" or "card-more" (see the template), and may give the
    card a longer heading than its column's (``card_heading``)."""

    cards = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attrs["class"] = " ".join(filter(None, (self.attrs.get("class"), "nhsuk-table--responsive")))
        row_attrs = dict(getattr(self, "row_attrs", None) or {})  # django-tables2 sets it untyped
        self.row_attrs = AttributeDict({**row_attrs, "class": "nhsuk-table__row", "role": "row"})

    def get_column_class_names(self, classes_set, bound_column):
        return super().get_column_class_names(classes_set, bound_column) | {"nhsuk-table__cell"}


def card_heading(column, heading):
    """``column``, whose cells a CardTable heads with ``heading`` on a phone's cards (where a
    column header kept short for a wide table, "S", would not be understood)."""
    column.card_heading = heading
    return column


def sort_words(column, ascending, descending, whole=False):
    """``column``, whose order a phone's "Sort by" choices name with these words ("lowest
    first", "highest first", after the column's heading; ``whole``: instead of it) where its
    field does not tell (an annotation, a related record)."""
    column.sort_words = (ascending, descending)
    column.sort_words_whole = whole
    return column


_DATES = ("earliest first", "latest first")
_NUMBERS = ("lowest first", "highest first")
_WORDS = ("A to Z", "Z to A")


def _sort_words(table, bound_column):
    words = getattr(bound_column.column, "sort_words", None)
    if words:
        return words
    if isinstance(bound_column.column, NumberColumn):
        return _NUMBERS
    field = bound_column.accessor.get_field(getattr(table.data, "model", None))
    if isinstance(field, models.DateField):  # a DateTimeField is one too
        return _DATES
    if isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
        return _NUMBERS
    if isinstance(field, models.BooleanField):
        return ("no first", "yes first")
    return _WORDS


def sort_choices(table):
    """A card table's orders as a phone offers them, where its column headers (the sort links)
    are hidden: [(order_by value, "Deadline, earliest first", chosen)] for each orderable column
    both ways, in the table's own ``order_by`` values (templates/django_tables2/_card_sort.html)."""
    current = [str(o) for o in (table.order_by or ())]
    chosen = current[0] if current else ""
    choices = []
    for column in table.columns:
        if not column.orderable:
            continue
        heading = str(getattr(column.column, "card_heading", None) or column.header)
        ascending, descending = _sort_words(table, column)
        whole = getattr(column.column, "sort_words_whole", False)
        for value, words in ((column.name, ascending), (f"-{column.name}", descending)):
            choices.append((value, words if whole else f"{heading}, {words}", value == chosen))
    return choices
