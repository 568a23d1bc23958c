"""CSV and XLSX exports of the list pages: an explicit, typed column spec per list, streamed.

Each list declares its export beside its table (``export_columns`` in its ``tables.py``): a
header, where the value comes from and its type. The values are computed by the database
(field paths and query expressions: a person's name, a choice's label, the latest update), so
an export is one query read through a server-side cursor, whatever the number of rows; no
model instance and no django-tables2 cell rendering is made per row.

Types decide how a value is written:

==========  =========================================  ======================================
type        CSV                                        XLSX
==========  =========================================  ======================================
TEXT        the text, through the formula guard        a string cell (never a formula), same
                                                       text as the CSV
INTEGER     digits                                     a number
DECIMAL     the number to its declared places          a number, shown to those places
MONEY       the number to two places, no "£"           a number, ``#,##0.00``
BOOLEAN     ``Yes`` / ``No``                           the text ``Yes`` / ``No``
DATE        ISO 8601 (``2012-10-31``): every Excel     a date, shown ``dd/mm/yyyy``
            locale reads it as a date
DATETIME    ``2012-10-31 14:05``, Europe/London        a date and time, Europe/London
==========  =========================================  ======================================

Formula injection (OWASP, "CSV Injection"; ASVS 5.0 1.2.10): a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single quote, so a
spreadsheet shows it as text. The XLSX has the same text, in cells typed as strings, so a file
never holds a formula that came from the data, and the two formats say the same thing.
"""

import csv
import datetime
import logging
import re
import tempfile
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg2
from django import forms
from django.contrib.postgres.aggregates import StringAgg
from django.db import connections, models, transaction
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim
from django.db.utils import InterfaceError, OperationalError
from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"
MONEY = "money"
BOOLEAN = "boolean"
DATE = "date"
DATETIME = "datetime"
TYPES = (TEXT, INTEGER, DECIMAL, MONEY, BOOLEAN, DATE, DATETIME)

LONDON = zoneinfo.ZoneInfo("Europe/London")
logger = logging.getLogger("ccgtrack.exports")
CHUNK_SIZE = 2000  # rows fetched from the server-side cursor at a time
CSV_ROWS_PER_CHUNK = 500  # rows joined into one piece of the streamed CSV

# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Control characters that XML (so XLSX) cannot hold; tab, line feed and carriage return stay.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
EXCEL_MAX_CELL_TEXT = 32767
EXCEL_MAX_COLUMN_WIDTH = 255
MAX_COLUMN_WIDTH = 60  # readable on a screen; well within Excel's 255
DEFAULT_WIDTHS = {TEXT: 24, INTEGER: 9, DECIMAL: 12, MONEY: 14, BOOLEAN: 9, DATE: 12, DATETIME: 17}
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MONEY_FORMAT = "#,##0.00"
YES, NO = "Yes", "No"


def guard(text):
    """``text`` as a spreadsheet will show it: a leading quote if it would start a formula."""
    if text and text[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def unguard(text):
    """``text`` as it was before ``guard``: the leading quote taken off again (the plan import
    reads an export back this way, so a file exported from ccgtrack imports as it is)."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


def clean_text(value):
    """The text of ``value`` without the control characters a spreadsheet cannot hold, guarded."""
    if value is None:
        return ""
    return guard(CONTROL_CHARACTERS.sub("", str(value)))


@dataclass(frozen=True)
class ExportColumn:
    """One column of an export.

    ``source`` is a field path (``"theme__plan__title"``), a query expression, or a callable
    returning one (for expressions that depend on the day, such as "overdue"). ``transform``
    maps the fetched value in Python (a choice's label, say). ``decimals`` is for DECIMAL;
    ``width`` (characters) overrides the type's default column width in the XLSX. ``audience``
    (``apps.core.audience``) says who may see the column; None: the audience of the model field
    the source names (everyone, unless the model's ``FIELD_AUDIENCE`` says otherwise).
    """

    header: str
    source: Any
    type: str = TEXT
    transform: Any = None
    decimals: int = 2
    width: int | None = None
    audience: str | None = None

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"Unknown export type {self.type!r} for column {self.header!r}.")

    def expression(self):
        return self.source() if callable(self.source) else self.source

    @property
    def column_width(self):
        width = self.width or max(DEFAULT_WIDTHS[self.type], len(self.header) + 2)
        return min(width, MAX_COLUMN_WIDTH, EXCEL_MAX_COLUMN_WIDTH)


# --- Expressions the specs share -------------------------------------------------------------


def person_name(prefix):
    """A user's full name, else their username, from the user at ``prefix`` (e.g. ``"owner__"``);
    NULL when there is none. The database's version of ``User.get_full_name() or username``."""
    full = Trim(Concat(f"{prefix}first_name", models.Value(" "), f"{prefix}last_name"))
    return Coalesce(NullIf(full, models.Value("")), f"{prefix}username", output_field=models.TextField())


def joined(model, relation, value_field, separator="; ", outer="pk"):
    """The ``value_field`` of every object of the many-to-many ``relation`` of ``model``, in
    order and joined by ``separator`` (``"1; 3; 6"``): one subquery, not a query per row.
    ``outer`` is the field of the exported row holding the ``model``'s pk (``"id"`` for the
    audit trail's copies of a record, whose own pk is the event's)."""
    relation_field = model._meta.get_field(relation)
    through = relation_field.remote_field.through
    source = relation_field.m2m_field_name()
    value = f"{relation_field.m2m_reverse_field_name()}__{value_field}"
    aggregated = (
        through.objects.filter(**{source: models.OuterRef(outer)})
        .order_by()
        .values(source)
        .annotate(joined=StringAgg(Cast(value, models.TextField()), separator, order_by=value))
        .values("joined")
    )
    return models.Subquery(aggregated, output_field=models.TextField())


def latest(queryset, value):
    """``value`` (a field path or expression) of the first row of ``queryset`` (which filters on
    ``OuterRef("pk")`` and is ordered newest first): the latest update of each row, say."""
    if isinstance(value, str):
        return models.Subquery(queryset.values(value)[:1])
    return models.Subquery(queryset.values(latest_value=value).values("latest_value")[:1])


def choice_label(choices):
    """A transform giving the label of a stored choice value (the value itself if unknown)."""
    labels = {str(value): str(label) for value, label in choices}
    return lambda value: labels.get(value, value) if value is not None else None


# --- Rows ------------------------------------------------------------------------------------


def export_rows(queryset, columns, chunk_size=CHUNK_SIZE):
    """The rows of ``queryset`` as tuples of the columns' values: one query, whatever the
    number of rows, read through a server-side cursor ``chunk_size`` rows at a time. It runs in
    a transaction of its own, so PostgreSQL streams the cursor rather than materialising it
    (a cursor outside a transaction is declared WITH HOLD); the transaction ends when the
    rows are exhausted or the generator is closed."""
    names, annotations = [], {}
    for index, column in enumerate(columns):
        expression = column.expression()
        if isinstance(expression, str):
            names.append(expression)
        else:
            name = f"export_{index}"
            annotations[name] = expression
            names.append(name)
    queryset = queryset.prefetch_related(None)
    if annotations:
        queryset = queryset.annotate(**annotations)
    transforms = [(i, c.transform) for i, c in enumerate(columns) if c.transform]
    with transaction.atomic(using=queryset.db):
        with connections[queryset.db].cursor() as cursor:
            # PostgreSQL's JIT compiler takes the correlated subqueries' estimated cost for a
            # heavy query and spends longer compiling than the query runs (1.3 of 1.6 s on
            # 25,000 deliverables). Off for this transaction only.
            cursor.execute("SET LOCAL jit = off")
        for row in queryset.values_list(*names).iterator(chunk_size=chunk_size):
            if transforms:
                row = list(row)
                for i, transform in transforms:
                    row[i] = transform(row[i])
            yield row


def _quantize(value, decimals):
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _local(value):
    """An aware datetime as Europe/London wall-clock time, without tzinfo (Excel has none)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(LONDON).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _yes_no(value):
    if value is None:
        return ""
    return YES if value else NO


# --- CSV -------------------------------------------------------------------------------------


def _csv_converter(column):
    kind = column.type
    if kind == TEXT:
        return clean_text
    if kind == INTEGER:
        return lambda v: "" if v is None else str(int(v))
    if kind in (DECIMAL, MONEY):
        decimals = 2 if kind == MONEY else column.decimals
        return lambda v: "" if v is None else str(_quantize(v, decimals))
    if kind == BOOLEAN:
        return _yes_no
    if kind == DATE:
        return lambda v: "" if v is None else v.isoformat()
    return lambda v: "" if v is None else _local(v).strftime("%Y-%m-%d %H:%M")  # DATETIME


class _Echo:
    """A file-like object whose ``write`` hands the line back, for ``csv.writer``."""

    def write(self, value):
        return value


def csv_lines(columns, rows):
    """The CSV, UTF-8 with a byte-order mark (so Excel reads "£" right), in pieces."""
    writer = csv.writer(_Echo())
    converters = [_csv_converter(c) for c in columns]
    yield "\ufeff" + writer.writerow([clean_text(c.header) for c in columns])
    pending = []
    for row in rows:
        pending.append(writer.writerow([convert(v) for convert, v in zip(converters, row, strict=True)]))
        if len(pending) >= CSV_ROWS_PER_CHUNK:
            yield "".join(pending)
            pending = []
    if pending:
        yield "".join(pending)


def _csv_stream(columns, rows):
    try:
        for piece in csv_lines(columns, rows):
            yield piece.encode("utf-8")
    except (OperationalError, InterfaceError, psycopg2.OperationalError, psycopg2.InterfaceError):
        # The database went away after the download started: the 503 page can no longer be
        # sent, so the file says where it stops, and the log has one line, not a traceback.
        logger.warning("CSV export cut off: the database became unavailable")
        yield b"\r\nTHIS EXPORT IS INCOMPLETE: the database became unavailable. Download it again.\r\n"
    finally:
        if hasattr(rows, "close"):  # a download cut short ends the rows' transaction now
            rows.close()


def csv_response(columns, rows, filename):
    """A streamed CSV download of ``rows`` (from ``export_rows``)."""
    response = StreamingHttpResponse(_csv_stream(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- XLSX ------------------------------------------------------------------------------------


def _text_cell(sheet, value, **style):
    """A cell holding ``value`` as a string, whatever it looks like (never a formula or error)."""
    cell = WriteOnlyCell(sheet, value=clean_text(value)[:EXCEL_MAX_CELL_TEXT])
    cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _xlsx_text(sheet, value):
    """A text value for a data row. openpyxl types a ``str`` as a formula only when it begins
    with "=", and as an error only when it is one of Excel's error codes; the guard leaves no
    text beginning with "=", and anything that could still be read as other than a string gets
    a cell forced to "s". Plain strings are written without a cell object each, which is most
    of the speed of a large export (the tests read files back and check every cell's type)."""
    if value is None:
        return None
    text = clean_text(value)[:EXCEL_MAX_CELL_TEXT]
    if not text:
        return None
    if text[0] == "=" or text in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


def _xlsx_converter(sheet, column):
    kind = column.type
    if kind == TEXT:
        return lambda v: _xlsx_text(sheet, v)
    if kind == INTEGER:
        return lambda v: None if v is None else int(v)
    if kind in (DECIMAL, MONEY):
        decimals = 2 if kind == MONEY else column.decimals
        number_format = MONEY_FORMAT if kind == MONEY else ("0." + "0" * decimals if decimals else "0")

        def number(v):
            if v is None:
                return None
            cell = WriteOnlyCell(sheet, value=_quantize(v, decimals))
            cell.number_format = number_format
            return cell

        return number
    if kind == BOOLEAN:
        return lambda v: None if v is None else (YES if v else NO)
    number_format = DATE_FORMAT if kind == DATE else DATETIME_FORMAT
    local = (lambda v: v) if kind == DATE else _local

    def moment(v):
        if v is None:
            return None
        cell = WriteOnlyCell(sheet, value=local(v))
        cell.number_format = number_format
        return cell

    return moment


def sheet_title(title):
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``, not
    beginning or ending with an apostrophe."""
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip(" '") or "Export"


@dataclass
class About:
    """What the second sheet says: which list, which filters and sort, who and when."""

    title: str
    filters: list = field(default_factory=list)  # (label, value as shown)
    sorted_by: str = ""
    exported_by: str = ""
    exported_at: datetime.datetime | None = None
    address: str = ""
    filter_errors: list = field(default_factory=list)  # (label, value not understood)


def _write_about(workbook, about, row_count):
    sheet = workbook.create_sheet("About this export")
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = MAX_COLUMN_WIDTH
    bold = Font(bold=True)

    def line(label, value=None, **style):
        cells = [_text_cell(sheet, label, font=bold)]
        if isinstance(value, (int, datetime.datetime)):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, datetime.datetime):
                cell.number_format = DATETIME_FORMAT
            cells.append(cell)
        elif value is not None:
            cells.append(_text_cell(sheet, value, **style))
        sheet.append(cells)

    line("Export of", about.title)
    line("Exported at (Europe/London time)", _local(about.exported_at))
    line("Exported by", about.exported_by)
    line("Rows", row_count)
    line("Sorted by", about.sorted_by or "The list's default order")
    line("Address of the list", about.address)
    line("Rows included", "Only the rows the person exporting may see, after the filters below.")
    sheet.append([])
    line("Filters applied")
    if not about.filters and not about.filter_errors:
        line("None", "Every row the person exporting may see.")
    for label, value in about.filters:
        line(label, value)
    for label, value in about.filter_errors:
        line(label, f"Not understood: {value}. No rows were exported.")


def write_xlsx(target, columns, rows, about):
    """Write the workbook to the binary file ``target`` in constant memory (openpyxl's
    write-only mode streams each row to disk): the data sheet, with a frozen, filterable
    header row, then "About this export". Returns the number of data rows."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "ccgtrack"
    workbook.properties.title = about.title
    sheet = workbook.create_sheet(sheet_title(about.title))
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.column_width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, c.header, font=bold) for c in columns])
    converters = [_xlsx_converter(sheet, c) for c in columns]
    count = 0
    for row in rows:
        sheet.append([convert(v) for convert, v in zip(converters, row, strict=True)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    _write_about(workbook, about, count)
    workbook.save(target)
    return count


def xlsx_response(columns, rows, about, filename):
    """The workbook, built in a temporary file (deleted when the response is closed) and
    streamed from it."""
    target = tempfile.TemporaryFile()
    try:
        write_xlsx(target, columns, rows, about)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return FileResponse(
        target,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- The filters behind an export --------------------------------------------------------------


def _choice_labels(field):
    labels = {}
    for value, label in field.choices:
        if isinstance(label, (list, tuple)):  # option groups
            labels.update({str(v): str(lbl) for v, lbl in label})
        else:
            labels[str(value)] = str(label)
    return labels


def _day(value):
    if isinstance(value, datetime.datetime):
        value = value.astimezone(LONDON) if value.tzinfo else value
        value = value.date()
    return value.strftime("%d/%m/%Y")


def _shown(field, value):
    """A cleaned filter value as the filter form shows it."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        return "; ".join(field.label_from_instance(obj) for obj in value)
    if isinstance(field, forms.ModelChoiceField):
        return field.label_from_instance(value)
    if isinstance(field, forms.NullBooleanField):
        return YES if value else NO
    if isinstance(field, forms.ChoiceField):
        labels = _choice_labels(field)
        values = value if isinstance(value, (list, tuple)) else [value]
        return "; ".join(labels.get(str(v), str(v)) for v in values)
    if isinstance(value, slice):
        parts = []
        if value.start is not None:
            parts.append(f"from {_day(value.start)}")
        if value.stop is not None:
            parts.append(f"to {_day(value.stop)}")
        return " ".join(parts)
    if isinstance(value, datetime.datetime) and isinstance(field, forms.DateTimeField):
        # A moment (the dashboard's "changed after" a paper was read): the day and the time.
        return value.astimezone(LONDON).strftime("%d/%m/%Y %H:%M") if value.tzinfo else str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return _day(value)
    return str(value)


def _is_empty(value):
    if isinstance(value, slice):
        return value.start is None and value.stop is None
    return value is None or value == "" or (hasattr(value, "__len__") and len(value) == 0)


def applied_filters(filterset):
    """([(label, value as shown)] of the filters in effect, [(label, raw value)] of those whose
    value the form rejected)."""
    if not filterset.is_bound:
        return [], []
    form = filterset.form
    form.is_valid()
    applied, rejected = [], []
    for name, form_field in form.fields.items():
        label = str(form_field.label or name)
        if name in form.errors:
            raw = form[name].value()
            rejected.append((label, ", ".join(map(str, raw)) if isinstance(raw, (list, tuple)) else str(raw)))
            continue
        value = form.cleaned_data.get(name)
        if not _is_empty(value):
            applied.append((label, _shown(form_field, value)))
    return applied, rejected
