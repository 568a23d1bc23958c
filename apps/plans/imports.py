"""Bringing an OD plan in from a spreadsheet (XLSX or CSV): the columns, the file checks, the
row mapping, the preview and the confirmed import.

How an import runs

1. ``read_file`` checks the upload (size, type, macros) and reads its first sheet into rows of
   cell values. Formulas are read as their text (openpyxl with ``data_only=False``), never
   evaluated; the leading quote the deliverables export puts before text that would start a
   formula is taken off again, so an export re-imports as it is.
2. ``map_headers`` matches the header row to the columns below (case and spacing ignored),
   refuses a file without the columns it needs or with a column twice, and reads past the
   export's columns that an import does not set (organisation, plan, overdue, last update...).
3. ``DeliverableResource`` (django-import-export) maps each row to a deliverable of the plan,
   matched by its reference ("1.4": theme 1, position 4), with django-import-export's widgets
   cleaning each cell and its ``import_data`` collecting the row-level errors, in a dry run:
   the save step never writes (it records what the row would add or change) and the whole
   run is rolled back.
4. ``build_preview`` turns that into a ``Preview``: rows to add, to change (field by field),
   unchanged, row errors (row, column, value, what is wrong and how to fix it), new themes and
   objectives, ignored columns and notes.
5. ``apply`` carries out a preview without errors in one transaction, through the plan
   services: ``deliverables_create`` for new rows (one insert, its audit context and history
   rows) and ``deliverable_import_update`` (the deliverable's versioned edit path: lock,
   permission, version check, history row, audit context) for changed ones, each noted
   "Imported from <file>". A deliverable saved by someone else since the preview is a
   conflict (``StaleVersionError``) and nothing is saved.

Why django-import-export does not save the rows itself: its save path calls ``instance.save()``
on the instance it loaded (unlocked) and sets many-to-many fields directly, so it would bypass
the lock, the version check and the history row; and a version conflict must abort the whole
import, not become one row's error among others. So the library parses, maps, validates and
previews, and ``apply`` calls the services.

Between preview and confirm the uploaded file is kept server-side (``stash``): a file named by a
random token in ``PLAN_IMPORT_DIR``, with the token, its owner, the target and the preview's
fingerprint in the user's session. The confirm step reads the file again, rebuilds the preview
against the database as it is then and refuses if anything differs from what the user saw.
"""

import calendar
import csv
import datetime
import hashlib
import io
import json
import logging
import re
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from import_export import fields as ie_fields
from import_export import resources, widgets

from apps.organisations import permissions
from apps.organisations.selectors import people_of

from . import services
from .models import AuthorisationDomain, Deliverable, ODPlan, Theme

logger = logging.getLogger(__name__)

# --- The columns, defined once ----------------------------------------------------------------
# The headers are those of the deliverables export, so a file exported from ccgtrack imports
# as it is; the export can take these constants.
THEME_NUMBER = "Theme no."
THEME_TITLE = "Theme / priority area"
OBJECTIVE = "Objective"
REFERENCE = "Reference"
POSITION = "Position in theme"
SUBHEADING = "Subheading"
TITLE = "Deliverable / action"
OWNER = "Owner"
DEADLINE = "Deadline"
DEADLINE_TEXT = "Deadline (as the source states it)"
COST_AMOUNT = "Cost (£)"
COST_TEXT = "Cost (as the source states it)"
DOMAINS = "Authorisation domains"
STATUS = "Status"
SOURCE_STATUS = "Status in the source"
DELIVERED = "Delivered"
IN_PROGRESS = "In progress"
METHODS = "Methods"
SOURCE = "Source / lead"
COMMENTS = "Comments"

# The export's columns that an import reads past (it does not set them).
IGNORED_COLUMNS = ("ID", "Organisation", "Plan", "Overdue", "Last update", "Last update by")

TITLE_MAX_LENGTH = 1000  # the longest title in the seed plans is under 300 characters
MAX_FILE_BYTES = 10 * 1024 * 1024  # 10 MB: a file this size or larger is refused
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an XLSX is a zip: refuse one that unpacks to more
MAX_ROWS = 5000
MAX_COLUMNS = 100
PENDING_MAX_AGE = 60 * 60  # seconds an uploaded file waits for its confirmation
SESSION_KEY = "plan_imports"
MAX_PENDING_PER_SESSION = 5

# Characters that make a spreadsheet read a cell as a formula; the export prefixes such text
# with a quote (OWASP "CSV injection"), which the import takes off again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    help: str
    example: str = ""


COLUMNS = (
    Column(THEME_NUMBER, "The theme's number in the plan. Optional when the reference gives it.", "1"),
    Column(
        THEME_TITLE,
        "The theme (or priority area) the deliverable sits under. Needed for a theme the plan does "
        "not have yet; an existing theme keeps its title.",
        "Governance, Structures and Processes",
    ),
    Column(OBJECTIVE, "An objective of the theme; added to the theme if it is not there yet.", ""),
    Column(
        REFERENCE,
        "Required. The theme number and the deliverable's position in it, e.g. 1.4. The import matches "
        "rows to the plan by this, so each reference appears once. Keep the column formatted as text "
        "(Excel turns 1.10 typed as a number into 1.1).",
        "1.4",
    ),
    Column(SUBHEADING, "A sub-heading grouping deliverables within a theme (200 characters at most).", ""),
    Column(TITLE, f"Required. What is to be delivered ({TITLE_MAX_LENGTH} characters at most).", ""),
    Column(
        OWNER,
        "The owner: a member of the organisation by full name, username or email, who will see it in "
        "My work; any other name is kept as written.",
        "",
    ),
    Column(
        DEADLINE,
        "A date (31/10/2012 or 2012-10-31), or the deadline in words: a month and year (Oct 2012, "
        "end of March 2013), a year (early 2014) or ongoing, TBC, n/a.",
        "Oct 2012",
    ),
    Column(DEADLINE_TEXT, "The deadline in the source's own words, kept as written.", ""),
    Column(COST_AMOUNT, "The cost in pounds, as a number.", "10000"),
    Column(
        COST_TEXT, "The cost as the source states it; an amount alone (£10K) also fills Cost (£).", "£10K"
    ),
    Column(DOMAINS, "Authorisation domain numbers (1 to 6) separated by ';'.", "1; 3"),
    Column(
        STATUS,
        "One of: " + ", ".join(label for _, label in Deliverable.Status.choices) + ". Empty: Not started "
        "for a new row, unchanged for an existing one.",
        "In progress",
    ),
    Column(SOURCE_STATUS, "The status as the source document wrote it.", ""),
    Column(DELIVERED, "What has been delivered.", ""),
    Column(IN_PROGRESS, "What is in progress.", ""),
    Column(METHODS, "Methods or actions.", ""),
    Column(SOURCE, "Source or lead, as the plan states it.", ""),
    Column(COMMENTS, "Comments.", ""),
)
TEMPLATE_COLUMNS = tuple(c.header for c in COLUMNS)
KNOWN_COLUMNS = TEMPLATE_COLUMNS + (POSITION,)


def _header_key(text):
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


_KNOWN_BY_KEY = {_header_key(h): h for h in KNOWN_COLUMNS}
_IGNORED_BY_KEY = {_header_key(h): h for h in IGNORED_COLUMNS}


class FileRejected(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


class ImportConflict(Exception):
    """The plan changed between the preview and the confirmation; nothing was saved."""


def column_letter(index):
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- Reading the file -------------------------------------------------------------------------


@dataclass
class Sheet:
    """The first sheet of an upload: its header row and its data rows as read."""

    headers: list
    rows: list  # (row number in the sheet, [cell values])
    formulas: list = field(default_factory=list)  # (row number, column index, formula text)
    kind: str = "csv"


_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"{\\rtf": "a Word (RTF) document",
}


def read_file(name, data):
    """The first sheet of an uploaded XLSX or CSV file, or FileRejected saying what is wrong."""
    name = (name or "").strip()
    lower = name.lower()
    if len(data) >= MAX_FILE_BYTES:
        raise FileRejected(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; an import takes files under 10 MB. "
            "Remove other sheets, images or unused rows, or save it as CSV."
        )
    if lower.endswith((".xlsm", ".xltm", ".xlam", ".xlsb")):
        raise FileRejected(
            "The file is a workbook with macros, which ccgtrack does not open. Save it as an Excel "
            "Workbook (.xlsx) or CSV and upload that."
        )
    if not data.strip():
        raise FileRejected("The file is empty. Upload the plan as an Excel workbook (.xlsx) or a CSV file.")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected(
            "The file is an old Excel 97-2003 workbook (.xls) or a password-protected one, which "
            "ccgtrack cannot read. Save it as an Excel Workbook (.xlsx) without a password, or as CSV."
        )
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise FileRejected(
                f"The file is {what}, not a spreadsheet. Upload the plan as an Excel workbook (.xlsx) "
                "or a CSV file."
            )
    return _read_csv(data)


def _read_xlsx(data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRejected(
            "The file looks like a workbook but cannot be opened (it may be damaged). Open it in Excel, "
            "save it again as .xlsx, and upload that."
        ) from exc
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise FileRejected(
            "The workbook contains macros, which ccgtrack does not open. Save it as an Excel Workbook "
            "(.xlsx, without macros) or CSV and upload that."
        )
    if "xl/workbook.xml" not in names:
        raise FileRejected(
            "The file is not an Excel workbook (it may be a Word, PowerPoint or OpenDocument file). "
            "Upload the plan as .xlsx or CSV."
        )
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileRejected(
            "The workbook unpacks to more than 100 MB. Remove other sheets and images, or save the "
            "plan's sheet as CSV."
        )
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell gives its formula text, never a computed value.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise FileRejected(
            "The workbook cannot be read (it may be damaged). Open it in Excel, save it again as "
            ".xlsx, and upload that."
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows, formulas = [], []
        for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            values = []
            for index, cell in enumerate(cells):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f" and value is not None:
                    value = getattr(value, "text", value)  # array formulas carry their text
                    value = str(value) if str(value).startswith("=") else f"={value}"
                    formulas.append((number, index, value))
                values.append(value)
            if not all(_is_blank(v) for v in values):  # sheets often carry styled empty rows
                rows.append((number, values))
            if len(rows) > MAX_ROWS + 1:
                break
    finally:
        workbook.close()
    return _sheet_from_rows(rows, formulas, "xlsx")


def _read_csv(data):
    if b"\x00" in data[:65536]:
        raise FileRejected(
            "The file is not a spreadsheet (it holds binary data). Upload the plan as an Excel workbook "
            "(.xlsx) or a CSV file."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    delimiter = _delimiter(text)
    rows = []
    try:
        for number, values in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            if not all(_is_blank(v) for v in values):
                rows.append((number, values[:MAX_COLUMNS]))
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise FileRejected(
            f"The CSV file cannot be read ({exc}). Open it in Excel and save it again as CSV, or upload "
            "it as .xlsx."
        ) from exc
    return _sheet_from_rows(rows, [], "csv")


def _delimiter(text):
    """The delimiter that splits the header row into the most known columns: a comma, or the
    semicolon or tab of Excel's CSV in some locales."""
    line = next((line for line in text.splitlines() if line.strip()), "")

    def known(delimiter):
        cells = next(csv.reader([line], delimiter=delimiter), [])
        return sum(
            1 for cell in cells if _header_key(cell) in _KNOWN_BY_KEY or _header_key(cell) in _IGNORED_BY_KEY
        )

    return max((",", ";", "\t"), key=known)


def _is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _sheet_from_rows(rows, formulas, kind):
    rows = [(n, values) for n, values in rows if not all(_is_blank(v) for v in values)]
    if not rows:
        raise FileRejected("The file has no rows. Fill in the template's columns, one row per deliverable.")
    header_number, headers = rows[0]
    data = rows[1:]
    if len(data) > MAX_ROWS:
        raise FileRejected(
            f"The file has more than {MAX_ROWS:,} rows; an import takes at most {MAX_ROWS:,}. Split the "
            "plan into several files."
        )
    if not data:
        raise FileRejected("The file has a header row but no deliverables under it.")
    formulas = [f for f in formulas if f[0] != header_number]
    return Sheet(headers=list(headers), rows=data, formulas=formulas, kind=kind)


@dataclass
class HeaderMap:
    columns: dict  # canonical header -> column index
    ignored: list  # headers read past, as written


def map_headers(headers):
    """Match the header row to the known columns, or FileRejected naming what is missing."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if _is_blank(header):
            continue
        key = _header_key(header)
        if key in seen:
            raise FileRejected(
                f"The column '{str(header).strip()}' appears twice (columns {column_letter(seen[key])} "
                f"and {column_letter(index)}). Keep one of them."
            )
        seen[key] = index
        if key in _KNOWN_BY_KEY:
            columns[_KNOWN_BY_KEY[key]] = index
        else:
            ignored.append(str(header).strip())
    if TITLE not in columns:
        raise FileRejected(
            f"The file has no '{TITLE}' column. The first row must hold the template's column headers "
            f"({', '.join(TEMPLATE_COLUMNS)}); download the template from the import page."
        )
    if REFERENCE not in columns and not (THEME_NUMBER in columns and POSITION in columns):
        raise FileRejected(
            f"The file has no '{REFERENCE}' column (a reference such as 1.4: theme 1, position 4), nor "
            f"both '{THEME_NUMBER}' and '{POSITION}'. Add the references, one per row."
        )
    return HeaderMap(columns=columns, ignored=ignored)


def _strip_guard(text):
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


def cell_text(value):
    """A cell as text: the export's formula guard taken off, line ends made plain, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return (
            value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ", "minutes")
        )
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if value == value else ""
    if isinstance(value, (int, Decimal)):
        return str(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _strip_guard(text.strip()).strip()


def build_dataset(sheet, header_map):
    """A tablib Dataset with the known columns (canonical headers) and, beside it, the sheet row
    number of each dataset row."""
    wanted = list(header_map.columns.items())
    dataset = tablib.Dataset(headers=[h for h, _ in wanted])
    numbers = []
    for number, values in sheet.rows:
        dataset.append([values[i] if i < len(values) else None for _, i in wanted])
        numbers.append(number)
    return dataset, numbers


# --- Reading cell values ----------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_RE = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?)?{_MONTH_RE}\b\.?,?\s*(\d{{4}})?\b"
)
_NUMERIC_DATES = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"), ("d", "m", "y")),
)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_QUARTER = re.compile(r"\bq[1-4]\b")
_DEADLINE_WORDS = re.compile(
    r"\b(ongoing|on-going|tbc|tba|tbd|n/?a|continuous|annual(ly)?|quarterly|monthly|weekly|asap|"
    r"immediate(ly)?|complete(d)?|to be (confirmed|agreed|decided))\b"
)


@dataclass(frozen=True)
class DeadlineCell:
    date: datetime.date | None
    text: str | None  # None: the cell was a date; else the words, as written


def parse_deadline_text(text):
    """(recognised, date): whether ``text`` reads as a deadline, and the date it names, if it
    names one. A day, month and year is that day; a month and year is the month's last day (the
    last one mentioned, as in "first draft May 2012, final October 2012"); a year, a quarter or
    words such as "ongoing" or "TBC" are recognised without a date."""
    lowered = text.casefold()
    last = None
    recognised = False
    for match in _DAY_MONTH_YEAR.finditer(lowered):
        day, month_word, year = match.groups()
        if month_word == "may" and not (day or year):
            continue  # "may" alone is a word, not a month
        recognised = True
        if year:
            last = (int(year), _MONTHS[month_word[:3]], int(day) if day else None)
    if last:
        year, month, day = last
        try:
            return True, datetime.date(year, month, day or calendar.monthrange(year, month)[1])
        except ValueError:
            return False, None
    if recognised or _YEAR.search(lowered) or _QUARTER.search(lowered) or _DEADLINE_WORDS.search(lowered):
        return True, None
    return False, None


def parse_date(text):
    """A date written as 2012-10-31 or 31/10/2012 (day first, as in the UK), else None."""
    for pattern, order in _NUMERIC_DATES:
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups()[:3]), strict=True))
            try:
                return datetime.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


_AMOUNT = re.compile(r"^£?\s*(\d[\d,]*(?:\.\d+)?)\s*([km])?$", re.IGNORECASE)


def parse_amount(text):
    """Pounds, where ``text`` is an amount and nothing else ("£10K", "2,000", "£1.5m"), else None."""
    match = _AMOUNT.match(text.strip())
    if not match:
        return None
    number, unit = match.groups()
    try:
        amount = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    amount *= {"k": 1000, "m": 1000000}.get((unit or "").lower(), 1)
    return amount.quantize(Decimal("0.01"))


def _whole_number(value, what, fix):
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number. {fix}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = cell_text(value)
        if not re.fullmatch(r"\d{1,3}", text):
            raise ValueError(f"'{text}' is not a whole number. {fix}")
        number = int(text)
    if not 1 <= number <= 999:
        raise ValueError(f"{number} is out of range: numbers run from 1 to 999. {fix}")
    return number


class TextWidget(widgets.Widget):
    """Text as written (see ``cell_text``), with an optional length limit."""

    def __init__(self, max_length=None, required=False):
        super().__init__()
        self.max_length = max_length
        self.required = required

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if self.required and not text:
            raise ValueError("This is empty: every deliverable needs a title. Write one, or delete the row.")
        if self.max_length and len(text) > self.max_length:
            raise ValueError(
                f"This is {len(text):,} characters long; the limit is {self.max_length:,}. Shorten it "
                "(put the detail in the narratives or comments)."
            )
        return text


class StatusWidget(widgets.Widget):
    """A status by its label or value, in any case ("In progress", "in_progress"); the sources'
    "Complete" and "Completed" are Delivered. Empty: None (Not started for a new row, unchanged
    for an existing one)."""

    WORDS = {
        **{_header_key(label): value for value, label in Deliverable.Status.choices},
        **{_header_key(value): value for value in Deliverable.Status.values},
        **{_header_key(value.replace("_", " ")): value for value in Deliverable.Status.values},
        "complete": Deliverable.Status.DELIVERED,
        "completed": Deliverable.Status.DELIVERED,
    }

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        try:
            return self.WORDS[_header_key(text)]
        except KeyError:
            labels = ", ".join(label for _, label in Deliverable.Status.choices)
            raise ValueError(f"'{text}' is not a status. Use one of: {labels}.") from None


class DomainsWidget(widgets.Widget):
    """Authorisation domain numbers separated by ';' (or ',')."""

    def __init__(self, domains):
        super().__init__()
        self.domains = domains  # number -> AuthorisationDomain

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        found = []
        for token in (t for t in re.split(r"[;,/\s]+", text) if t):
            number = token[:-2] if token.endswith(".0") else token
            domain = self.domains.get(int(number)) if number.isdigit() else None
            if domain is None:
                raise ValueError(
                    f"'{token}' is not an authorisation domain. Domains are numbered "
                    f"{min(self.domains)} to {max(self.domains)}: write their numbers separated by ';', "
                    "e.g. 1; 3."
                )
            if domain not in found:
                found.append(domain)
        return found


class DeadlineWidget(widgets.Widget):
    """A date cell, a date written as text, or recognisable deadline words (see
    ``parse_deadline_text``); anything else is an error."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return DeadlineCell(value.date(), None)
        if isinstance(value, datetime.date):
            return DeadlineCell(value, None)
        text = cell_text(value)
        if not text:
            return DeadlineCell(None, "")
        date = parse_date(text)
        if date:
            return DeadlineCell(date, None)
        if any(pattern.match(text) for pattern, _ in _NUMERIC_DATES):
            raise ValueError(
                f"'{text}' is neither a date nor a deadline ccgtrack recognises: there is no such day. Check "
                "the day and the month (the day comes first, as in 31/10/2012)."
            )
        recognised, date = parse_deadline_text(text)
        if not recognised:
            raise ValueError(
                f"'{text}' is neither a date nor a deadline ccgtrack recognises. Write a date (31/10/2012), "
                "a month and year (Oct 2012), a year (early 2014) or ongoing, TBC or n/a; the source's own "
                f"wording can go in '{DEADLINE_TEXT}'."
            )
        return DeadlineCell(date, text)


class AmountWidget(widgets.Widget):
    """Pounds: a number cell, or an amount written as text (see ``parse_amount``)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            value = cell_text(value)
        if isinstance(value, (int, float, Decimal)):
            amount = Decimal(repr(value) if isinstance(value, float) else value).quantize(Decimal("0.01"))
        else:
            text = cell_text(value)
            if not text:
                return None
            amount = parse_amount(text)
            if amount is None:
                raise ValueError(
                    f"'{text}' is not an amount. Write pounds as a number (e.g. 1500), or leave it empty "
                    f"and put the wording in '{COST_TEXT}'."
                )
        if amount < 0:
            raise ValueError("A cost cannot be negative. Write the amount in pounds, e.g. 1500.")
        if amount >= Decimal("10000000000"):
            raise ValueError("This amount is too large: costs go up to £9,999,999,999.99.")
        return amount


@dataclass(frozen=True)
class OwnerCell:
    user: object
    text: str


class OwnerWidget(widgets.Widget):
    """A member of the organisation by full name, username or email (any case); any other name
    is kept as text."""

    def __init__(self, people):
        super().__init__()
        self.by_key: dict[str, Any] = {}
        for person in people:
            for key in person_keys(person):
                self.by_key.setdefault(key, set()).add(person)

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return OwnerCell(None, "")
        matches = self.by_key.get(_header_key(text), set())
        return OwnerCell(next(iter(matches)) if len(matches) == 1 else None, text)


def person_keys(user):
    keys = {_header_key(user.get_username())}
    if user.get_full_name().strip():
        keys.add(_header_key(user.get_full_name()))
    if user.email:
        keys.add(_header_key(user.email))
    return keys


def parse_reference(value):
    """(theme number, position) from "1.4"; a numeric cell is refused (1.10 and 1.1 are one number)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        raise ValueError(
            "Excel has turned this reference into a date. Format the column as Text and type the "
            "reference again (e.g. 1.4)."
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(
            f"The reference {cell_text(value)} is stored as a number, so it cannot be told apart from "
            "another (Excel turns 1.10 into 1.1). Format the column as Text and type the references "
            "again (the template's column is already Text)."
        )
    text = cell_text(value)
    if not text:
        raise ValueError("The reference is empty. Write the theme number and the position, e.g. 1.4.")
    match = re.fullmatch(r"(\d{1,3})\s*\.\s*(\d{1,3})", text)
    if not match or not all(int(g) >= 1 for g in match.groups()):
        raise ValueError(
            f"'{text}' is not a reference. Write the theme number and the position in the theme, with "
            "a full stop between them, e.g. 1.4."
        )
    return int(match.group(1)), int(match.group(2))


def reference_label(ref):
    return f"{ref[0]}.{ref[1]}"


# --- The row mapping (django-import-export) ---------------------------------------------------

# Fields a new row sets, and an existing row is compared on.
ROW_FIELDS = (
    "subheading",
    "title",
    "owner",
    "owner_text",
    "deadline",
    "deadline_text",
    "cost_amount",
    "cost_text",
    "status",
    "source_status",
    "delivered_narrative",
    "in_progress_narrative",
    "methods",
    "source",
    "comments",
)
FIELD_COLUMNS = {
    "subheading": SUBHEADING,
    "title": TITLE,
    "owner": OWNER,
    "owner_text": OWNER,
    "deadline": DEADLINE,
    "deadline_text": DEADLINE_TEXT,
    "cost_amount": COST_AMOUNT,
    "cost_text": COST_TEXT,
    "domains": DOMAINS,
    "status": STATUS,
    "source_status": SOURCE_STATUS,
    "delivered_narrative": DELIVERED,
    "in_progress_narrative": IN_PROGRESS,
    "methods": METHODS,
    "source": SOURCE,
    "comments": COMMENTS,
    "reference": REFERENCE,
    "theme_number": THEME_NUMBER,
    "theme_title": THEME_TITLE,
    "objective": OBJECTIVE,
    "position": POSITION,
}
# Fields set from the row's reference and theme, not by import_field.
_STRUCTURE = ("theme_number", "theme_title", "objective", "reference", "position")


@dataclass
class Target:
    """What a file is imported into: an organisation and its plan (None: a new plan)."""

    organisation: object
    plan: object = None
    themes: dict = field(default_factory=dict)  # number -> Theme, objectives prefetched
    existing: dict = field(default_factory=dict)  # (theme number, position) -> Deliverable
    domains: dict = field(default_factory=dict)  # number -> AuthorisationDomain
    people: list = field(default_factory=list)

    @classmethod
    def load(cls, organisation, plan=None):
        """The plan's themes, deliverables, domains and people: five queries whatever the size."""
        target = cls(organisation=organisation, plan=plan)
        if plan is not None:
            themes = Theme.objects.filter(plan=plan).prefetch_related("objectives")
            target.themes = {t.number: t for t in themes}
            deliverables = (
                Deliverable.objects.filter(theme__plan=plan)
                .select_related("theme", "owner")
                .prefetch_related("domains")
            )
            target.existing = {(d.theme.number, d.position): d for d in deliverables}
        target.domains = {d.number: d for d in AuthorisationDomain.objects.all()}
        target.people = list(people_of(organisation))
        return target


@dataclass
class RowOutcome:
    """One valid row: what it adds or changes."""

    row: int
    reference: str
    title: str
    action: str  # "new", "change", "unchanged"
    theme_number: int = 0
    deliverable_id: int | None = None
    version: int | None = None
    values: dict = field(default_factory=dict)  # new: every ROW_FIELDS value and position
    changes: dict = field(default_factory=dict)  # change: field -> new value
    domains: list | None = None
    shown: list = field(default_factory=list)  # (column, before, after) for the preview


@dataclass
class CellError:
    row: int
    column: str
    value: str
    message: str


def _shown_value(name, value):
    if value is None or value == "":
        return ""
    if name == "owner":
        return value.get_full_name() or value.get_username()
    if name == "status":
        return Deliverable.Status(value).label
    if name == "domains":
        return "; ".join(str(d.number) for d in value)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


class DeliverableResource(resources.ModelResource):
    """One row of an OD plan spreadsheet, as a deliverable of ``target.plan``.

    Rows are matched to the plan's deliverables by reference; a reference the plan does not have
    is a new deliverable, in an existing theme or a new one. ``save_instance`` records the row's
    outcome (``self.outcomes``) instead of saving: ``apply`` saves through the services."""

    theme_number = ie_fields.Field(attribute="theme_number", column_name=THEME_NUMBER)
    theme_title = ie_fields.Field(attribute="theme_title", column_name=THEME_TITLE, widget=TextWidget(300))
    objective = ie_fields.Field(attribute="objective", column_name=OBJECTIVE, widget=TextWidget())
    reference = ie_fields.Field(attribute="reference", column_name=REFERENCE)
    position = ie_fields.Field(attribute="position", column_name=POSITION)
    subheading = ie_fields.Field(attribute="subheading", column_name=SUBHEADING, widget=TextWidget())
    title = ie_fields.Field(
        attribute="title", column_name=TITLE, widget=TextWidget(TITLE_MAX_LENGTH, required=True)
    )
    owner = ie_fields.Field(attribute="owner", column_name=OWNER)
    deadline = ie_fields.Field(attribute="deadline", column_name=DEADLINE, widget=DeadlineWidget())
    deadline_text = ie_fields.Field(attribute="deadline_text", column_name=DEADLINE_TEXT, widget=TextWidget())
    cost_amount = ie_fields.Field(attribute="cost_amount", column_name=COST_AMOUNT, widget=AmountWidget())
    cost_text = ie_fields.Field(attribute="cost_text", column_name=COST_TEXT, widget=TextWidget())
    domains = ie_fields.Field(attribute="domains", column_name=DOMAINS)
    status = ie_fields.Field(
        attribute="status", column_name=STATUS, widget=StatusWidget(), saves_null_values=False
    )
    source_status = ie_fields.Field(attribute="source_status", column_name=SOURCE_STATUS, widget=TextWidget())
    delivered_narrative = ie_fields.Field(
        attribute="delivered_narrative", column_name=DELIVERED, widget=TextWidget()
    )
    in_progress_narrative = ie_fields.Field(
        attribute="in_progress_narrative", column_name=IN_PROGRESS, widget=TextWidget()
    )
    methods = ie_fields.Field(attribute="methods", column_name=METHODS, widget=TextWidget())
    source = ie_fields.Field(attribute="source", column_name=SOURCE, widget=TextWidget())
    comments = ie_fields.Field(attribute="comments", column_name=COMMENTS, widget=TextWidget())

    class Meta:
        model = Deliverable
        fields = (
            "theme_number",
            "theme_title",
            "objective",
            "reference",
            "position",
            "subheading",
            "title",
            "owner",
            "deadline",
            "deadline_text",
            "cost_amount",
            "cost_text",
            "domains",
            "status",
            "source_status",
            "delivered_narrative",
            "in_progress_narrative",
            "methods",
            "source",
            "comments",
        )
        skip_diff = True  # the outcome is worked out against the loaded plan (self.target)
        skip_html_diff = True
        report_skipped = True

    def __init__(self, target, row_numbers=None):
        super().__init__()
        self.target = target
        self.row_numbers = row_numbers or []
        self.fields["owner"].widget = OwnerWidget(target.people)
        self.fields["domains"].widget = DomainsWidget(target.domains)
        self.outcomes = []
        self.warnings = []
        self.new_themes = {}  # number -> (title, first row)
        self.new_objectives = []  # (theme number, text)
        self._seen = {}  # reference -> sheet row
        self._theme_warned = set()
        self.unmatched_owners = {}  # owner text -> first row
        self._row = 0

    # --- the row's reference and theme ---------------------------------------------------------
    def before_import_row(self, row, **kwargs):
        number = kwargs.get("row_number", 0)
        self._row = self.row_numbers[number - 1] if 0 < number <= len(self.row_numbers) else number

    def _reference(self, row):
        errors = {}
        ref = None
        if REFERENCE in row:
            try:
                ref = parse_reference(row[REFERENCE])
            except ValueError as exc:
                errors["reference"] = str(exc)
        else:
            fix = "Write the theme's number (e.g. 1) and the position in the theme (e.g. 4)."
            numbers = {}
            for key, name, what in (
                ("theme_number", THEME_NUMBER, "The theme number"),
                ("position", POSITION, "The position"),
            ):
                try:
                    numbers[key] = _whole_number(row[name], what, fix)
                except ValueError as exc:
                    errors[key] = str(exc)
            if not errors:
                ref = (numbers["theme_number"], numbers["position"])
        if ref and REFERENCE in row and THEME_NUMBER in row and not _is_blank(row[THEME_NUMBER]):
            try:
                number = _whole_number(row[THEME_NUMBER], "The theme number", "")
            except ValueError as exc:
                errors["theme_number"] = str(exc)
            else:
                if number != ref[0]:
                    errors["theme_number"] = (
                        f"The reference {reference_label(ref)} is in theme {ref[0]}, but this says theme "
                        f"{number}. Make the two agree."
                    )
        if errors:
            raise ValidationError(errors)
        return ref

    def _theme(self, number, row):
        """The plan's theme ``number``, or a new (unsaved) one titled from the row."""
        title = cell_text(row.get(THEME_TITLE))
        title = re.sub(rf"^{number}\s*[.:)]\s*", "", title)  # "1. Governance" as the list shows it
        theme = self.target.themes.get(number)
        if theme is not None:
            if title and _header_key(title) != _header_key(theme.title) and number not in self._theme_warned:
                self._theme_warned.add(number)
                self.warnings.append(
                    f"Row {self._row}: theme {number} keeps its title '{theme.title}'; the file's "
                    f"'{title}' is not applied (an administrator can rename a theme)."
                )
            return theme
        if len(title) > 300:
            raise ValidationError(
                {"theme_title": "A theme's title is limited to 300 characters. Shorten it."}
            )
        if number in self.new_themes:
            first_title, first_row = self.new_themes[number]
            if title and _header_key(title) != _header_key(first_title):
                raise ValidationError(
                    {
                        "theme_title": f"Theme {number} is called '{first_title}' in row {first_row}. "
                        "Give every row of a theme the same title."
                    }
                )
            return Theme(plan=self.target.plan, number=number, title=first_title)
        if not title:
            raise ValidationError(
                {
                    "theme_title": f"The plan has no theme {number} yet. Give its title in the column "
                    f"'{THEME_TITLE}' to add it, or correct the reference."
                }
            )
        self.new_themes[number] = (title, self._row)
        return Theme(plan=self.target.plan, number=number, title=title)

    def _objective(self, theme, row):
        text = cell_text(row.get(OBJECTIVE))
        if not text:
            return
        known = {_header_key(o.text) for o in theme.objectives.all()} if theme.pk else set()
        new = {_header_key(t) for n, t in self.new_objectives if n == theme.number}
        if _header_key(text) not in known | new:
            self.new_objectives.append((theme.number, text))

    def get_or_init_instance(self, instance_loader, row):
        ref = self._reference(row)
        label = reference_label(ref)
        if ref in self._seen:
            raise ValidationError(
                {
                    "reference": f"The reference {label} is also in row {self._seen[ref]}. Each reference "
                    "may appear once: give this row another reference, or merge the two rows."
                }
            )
        self._seen[ref] = self._row
        existing = self.target.existing.get(ref)
        theme = self._theme(ref[0], row)  # the plan's theme (objectives loaded), or a new one
        self._objective(theme, row)
        if existing:
            # A copy: the row's cells are set on it, the loaded original stays as it was.
            instance = Deliverable(
                **{
                    f.attname: getattr(existing, f.attname)
                    for f in Deliverable._meta.concrete_fields
                    if not f.generated
                }
            )
            instance.theme = existing.theme
            instance.owner = existing.owner
            # The row's key and the loaded original ride on the instance through
            # django-import-export's save steps (which hand on only the instance).
            instance._import_ref, instance._import_original = ref, existing  # type: ignore[attr-defined]
            return instance, False
        instance = Deliverable(theme=theme, position=ref[1])
        instance._import_ref, instance._import_original = ref, None  # type: ignore[attr-defined]
        return instance, True

    # --- the row's cells ---------------------------------------------------------------------
    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        name = field.attribute
        if name in _STRUCTURE or field.column_name not in row:
            return
        if name == "owner":
            cell = field.clean(row)
            original = instance._import_original
            if (
                original
                and original.owner
                and cell.text
                and _header_key(cell.text) in person_keys(original.owner)
            ):
                cell = OwnerCell(original.owner, cell.text)  # the current owner, whoever they are
            instance.owner = cell.user
            instance.owner_text = "" if cell.user else cell.text
            if cell.text and not cell.user:
                self.unmatched_owners.setdefault(cell.text, self._row)
        elif name == "deadline":
            cell = field.clean(row)
            instance.deadline = cell.date
            instance._deadline_words = cell.text
        elif name == "domains":
            instance._import_domains = field.clean(row)
        else:
            super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            # Deadline words fill the source's wording when the file gives none; a cost written
            # as an amount alone ("£10K") fills the amount when the file gives none.
            words = getattr(instance, "_deadline_words", None)
            if words is not None and _is_blank(row.get(DEADLINE_TEXT)):
                instance.deadline_text = words
            if COST_TEXT in row and _is_blank(row.get(COST_AMOUNT)):
                instance.cost_amount = parse_amount(instance.cost_text) if instance.cost_text else None

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        exclude = set(errors) | {"theme", "domains", "version"}
        try:
            # Field checks only: the service's full_clean checks the constraints under the lock.
            instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _changes(self, instance):
        original = instance._import_original
        changes, shown = {}, []
        for name in ROW_FIELDS:
            before, after = getattr(original, name), getattr(instance, name)
            if name == "owner":
                before, after = original.owner_id, instance.owner_id
            if before != after:
                changes[name] = getattr(instance, name)
                shown.append(
                    (
                        FIELD_COLUMNS[name],
                        _shown_value(name, getattr(original, name)),
                        _shown_value(name, changes[name]),
                    )
                )
        domains = getattr(instance, "_import_domains", None)
        if domains is not None:
            before = sorted(d.number for d in original.domains.all())
            if before != sorted(d.number for d in domains):
                changes["domains"] = domains
                shown.append((DOMAINS, "; ".join(map(str, before)), _shown_value("domains", domains)))
        return changes, shown

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance._import_original is None:
            return False
        instance._import_changes = self._changes(instance)
        if instance._import_changes[0]:
            return False
        self._record(instance, "unchanged")
        return True

    def save_instance(self, instance, is_create, row, **kwargs):
        """Record what the row adds or changes; ``apply`` saves it through the services."""
        self._record(instance, "new" if is_create else "change")

    def save_m2m(self, instance, row, **kwargs):
        pass  # domains are set by the services

    def _record(self, instance, action):
        ref = instance._import_ref
        outcome = RowOutcome(
            row=self._row,
            reference=reference_label(ref),
            title=instance.title,
            action=action,
            theme_number=ref[0],
        )
        if action == "new":
            outcome.values = {name: getattr(instance, name) for name in ROW_FIELDS}
            outcome.values["position"] = ref[1]
            outcome.domains = getattr(instance, "_import_domains", None) or []
        else:
            original = instance._import_original
            outcome.deliverable_id, outcome.version = original.pk, original.version
            if action == "change":
                outcome.changes, outcome.shown = instance._import_changes
        self.outcomes.append(outcome)


# --- The preview ------------------------------------------------------------------------------


@dataclass
class Preview:
    """What an import would do, before anything is saved."""

    file_name: str
    target: Target
    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    new_themes: list = field(default_factory=list)  # (number, title)
    new_objectives: list = field(default_factory=list)  # (theme number, text)
    ignored_columns: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    @property
    def has_changes(self):
        return bool(self.new or self.changed or self.new_themes or self.new_objectives)

    @property
    def note(self):
        return f"Imported from {self.file_name}"[: services.NOTE_MAX_LENGTH]

    def versions(self):
        """The version of each matched deliverable as previewed."""
        return {str(o.deliverable_id): o.version for o in self.changed + self.unchanged}

    def fingerprint(self):
        """A digest of everything the preview shows: equal digests mean the same import."""
        rows = [
            (
                o.action,
                o.reference,
                o.deliverable_id,
                o.version,
                sorted((k, _shown_value(k, v)) for k, v in o.changes.items()),
            )
            for o in self.new + self.changed + self.unchanged
        ]
        payload = json.dumps(
            [rows, self.new_themes, self.new_objectives, [(e.row, e.column, e.message) for e in self.errors]],
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


_ERROR_HINTS = {
    "max_length": "This is {show_value} characters long; the limit is {limit_value}. Shorten it.",
    "max_digits": "This number has too many digits.",
}


def _messages(error):
    for item in error.error_list if hasattr(error, "error_list") else [error]:
        if item.code in _ERROR_HINTS and item.params:
            try:
                yield _ERROR_HINTS[item.code].format(
                    **{k: f"{v:,}" if isinstance(v, int) else v for k, v in item.params.items()}
                )
                continue
            except (KeyError, ValueError):
                pass
        yield " ".join(item.messages)


def build_preview(*, target, file_name, data):
    """Read ``data`` (an upload called ``file_name``) against ``target``: a Preview, or
    FileRejected when the file as a whole cannot be imported. Reads only."""
    sheet = read_file(file_name, data)
    header_map = map_headers(sheet.headers)
    dataset, numbers = build_dataset(sheet, header_map)
    resource = DeliverableResource(target, row_numbers=numbers)
    # A dry run: the resource's save step only records, and whatever the mapping might write is
    # rolled back. One savepoint for the file rather than the library's two queries a row.
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=False, raise_errors=False, use_transactions=False)
        transaction.set_rollback(True)
    if result.base_errors:
        logger.error("Plan import failed: %s", result.base_errors[0].error)
        raise FileRejected(
            "The file could not be read. Check that it is the template's layout, then try again."
        )
    preview = Preview(file_name=file_name, target=target, ignored_columns=header_map.ignored)
    for outcome in resource.outcomes:
        {"new": preview.new, "change": preview.changed, "unchanged": preview.unchanged}[
            outcome.action
        ].append(outcome)
    row_values = {i + 1: dict(zip(dataset.headers, values, strict=True)) for i, values in enumerate(dataset)}
    for invalid in result.invalid_rows:
        sheet_row = numbers[invalid.number - 1]
        error = invalid.error
        items = (
            error.error_dict.items()
            if hasattr(error, "error_dict")
            else [(NON_FIELD_ERRORS, error.error_list)]
        )
        for name, errors in items:
            column = FIELD_COLUMNS.get(name, "")
            value = cell_text(row_values[invalid.number].get(column)) if column else ""
            for item in errors:
                for message in _messages(item):
                    preview.errors.append(CellError(sheet_row, column, value[:200], message))
    for error_row in result.error_rows:
        for error in error_row.errors:
            logger.error("Plan import row %s: %r", error_row.number, error.error)
            preview.errors.append(
                CellError(
                    numbers[error_row.number - 1], "", "", "This row could not be read. Check its cells."
                )
            )
    preview.errors.sort(key=lambda e: e.row)
    if resource.unmatched_owners:
        names = "; ".join(f"'{name}' (row {row})" for name, row in resource.unmatched_owners.items())
        resource.warnings.append(
            f"These owners are not members of {target.organisation} (or match more than one), so they "
            f"are kept as text and will not see the work in My work: {names}."
        )
    preview.warnings = resource.warnings + [
        f"Row {row}, column {column_letter(index)}: the formula {text} is imported as its text, "
        "not its result."
        for row, index, text in sheet.formulas
    ]
    preview.new_themes = sorted((number, title) for number, (title, _) in resource.new_themes.items())
    preview.new_objectives = resource.new_objectives
    return preview


# --- The import -------------------------------------------------------------------------------


def apply(preview, *, acting_user, expected_versions=None, new_plan=None, via="import"):
    """Carry out ``preview`` in one transaction, through the plan services; returns the plan.

    ``expected_versions`` (deliverable id -> version, as the user previewed it) defaults to the
    preview's own. ``new_plan`` gives the title and period of a plan to create when the target
    has none. Raises ImportConflict (nothing saved) if a deliverable changed since the preview,
    PermissionDenied if the user may not edit the organisation, ValidationError if the preview
    has errors."""
    if not preview.ok:
        raise ValidationError("The file has errors: correct them and upload it again.")
    expected = {int(k): v for k, v in (expected_versions or preview.versions()).items()}
    target = preview.target
    with transaction.atomic():
        plan = target.plan
        if plan is None:
            plan = services.plan_create(
                organisation=target.organisation, acting_user=acting_user, **(new_plan or {})
            )
        else:
            plan = ODPlan.objects.select_for_update().get(pk=plan.pk)  # one import of a plan at a time
            permissions.require_edit(acting_user, plan.organisation)
        themes = dict(target.themes)
        for number, title in preview.new_themes:
            themes[number] = services.theme_add(
                plan=plan, number=number, title=title, acting_user=acting_user
            )
        for number, text in preview.new_objectives:
            services.objective_add(theme=themes[number], text=text, acting_user=acting_user)
        unchanged = {o.deliverable_id for o in preview.unchanged}
        current = dict(Deliverable.objects.filter(pk__in=unchanged).values_list("pk", "version"))
        for outcome in preview.unchanged:
            if current.get(outcome.deliverable_id) != expected.get(outcome.deliverable_id):
                raise ImportConflict(f"Deliverable {outcome.reference} changed since the preview.")
        for outcome in preview.changed:
            try:
                services.deliverable_import_update(
                    deliverable_id=outcome.deliverable_id,
                    acting_user=acting_user,
                    expected_version=expected.get(outcome.deliverable_id),
                    changes=outcome.changes,
                    note=preview.note,
                    via=via,
                )
            except (services.StaleVersionError, Deliverable.DoesNotExist) as exc:
                raise ImportConflict(f"Deliverable {outcome.reference} changed since the preview.") from exc
        try:
            services.deliverables_create(
                plan=plan,
                rows=[(themes[o.theme_number], o.values, o.domains) for o in preview.new],
                acting_user=acting_user,
                note=preview.note,
                via=via,
            )
        except IntegrityError as exc:  # someone added a deliverable at one of the references
            raise ImportConflict("A deliverable was added to the plan since the preview.") from exc
    return plan


# --- The uploaded file, between preview and confirm -------------------------------------------


def _pending_dir():
    path = Path(getattr(settings, "PLAN_IMPORT_DIR", "") or settings.BASE_DIR / ".local" / "imports")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _sweep(directory):
    cutoff = time.time() - PENDING_MAX_AGE
    for path in directory.glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def stash(request, *, data, file_name, organisation, plan, preview, new_plan=None):
    """Keep an uploaded file for its confirmation: the bytes in a server-side file named by a
    random token, the token with the user, the target and the preview in the session."""
    directory = _pending_dir()
    _sweep(directory)
    token = secrets.token_urlsafe(32)
    path = directory / f"{token}.upload"
    path.write_bytes(data)
    path.chmod(0o600)
    pending = dict(request.session.get(SESSION_KEY, {}))
    while len(pending) >= MAX_PENDING_PER_SESSION:
        oldest = min(pending, key=lambda t: pending[t]["created"])
        discard(request, oldest, pending)
    pending[token] = {
        "user": request.user.pk,
        "file_name": file_name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "organisation": organisation.pk,
        "plan": plan.pk if plan else None,
        "new_plan": new_plan,
        "fingerprint": preview.fingerprint(),
        "versions": preview.versions(),
        "created": time.time(),
    }
    request.session[SESSION_KEY] = pending
    return token


@dataclass
class Pending:
    token: str
    data: bytes
    file_name: str
    organisation_id: int
    plan_id: int | None
    new_plan: dict | None
    fingerprint: str
    versions: dict


def unstash(request, token):
    """The upload kept under ``token`` for this user, or None (unknown, another user's, expired
    or altered)."""
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.get(token) if isinstance(token, str) else None
    if not entry or entry.get("user") != request.user.pk:
        return None
    if time.time() - entry["created"] > PENDING_MAX_AGE:
        discard(request, token)
        return None
    if not re.fullmatch(r"[A-Za-z0-9_-]{40,60}", token):
        return None
    path = _pending_dir() / f"{token}.upload"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return None
    return Pending(
        token=token,
        data=data,
        file_name=entry["file_name"],
        organisation_id=entry["organisation"],
        plan_id=entry["plan"],
        new_plan=entry.get("new_plan"),
        fingerprint=entry["fingerprint"],
        versions=entry["versions"],
    )


def refresh(request, token, preview):
    """Point a kept upload at a new preview (after a conflict the user sees the current one)."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    if token in pending:
        pending[token] = {
            **pending[token],
            "fingerprint": preview.fingerprint(),
            "versions": preview.versions(),
        }
        request.session[SESSION_KEY] = pending


def discard(request, token, pending=None):
    """Forget a kept upload and delete its file."""
    store = pending if pending is not None else dict(request.session.get(SESSION_KEY, {}))
    store.pop(token, None)
    if re.fullmatch(r"[A-Za-z0-9_-]{40,60}", token or ""):
        (_pending_dir() / f"{token}.upload").unlink(missing_ok=True)
    if pending is None:
        request.session[SESSION_KEY] = store


# --- The template -----------------------------------------------------------------------------


def template_csv():
    """The template as CSV: the header row (UTF-8 with a byte-order mark, so Excel reads £)."""
    out = io.StringIO()
    csv.writer(out).writerow(TEMPLATE_COLUMNS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx():
    """The template as an XLSX workbook: the plan sheet (headers; Reference formatted as text,
    Deadline as a date) and a sheet saying what each column takes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Plan"
    sheet.append(list(TEMPLATE_COLUMNS))
    bold = Font(bold=True)
    for index, header in enumerate(TEMPLATE_COLUMNS):
        letter = column_letter(index)
        sheet[f"{letter}1"].font = bold
        sheet.column_dimensions[letter].width = 40 if header in (TITLE, DELIVERED, IN_PROGRESS) else 18
        if header == REFERENCE:
            for row in range(2, 1002):
                sheet[f"{letter}{row}"].number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("How to fill this in")
    guide.append(["Column", "What it takes", "Example"])
    for cell in guide[1]:
        cell.font = bold
    for column in COLUMNS:
        guide.append([column.header, column.help, column.example])
    guide.column_dimensions["A"].width = 34
    guide.column_dimensions["B"].width = 90
    guide.column_dimensions["C"].width = 24
    for row in guide.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def preview_lines(preview):
    """The preview as plain text (the import_plan command prints it)."""
    lines = [
        f"{preview.file_name}: {len(preview.new)} to add, {len(preview.changed)} to change, "
        f"{len(preview.unchanged)} unchanged, {len(preview.errors)} errors."
    ]
    for number, title in preview.new_themes:
        lines.append(f"  new theme {number}: {title}")
    for number, text in preview.new_objectives:
        lines.append(f"  new objective of theme {number}: {text[:100]}")
    for o in preview.new:
        lines.append(f"  add    row {o.row}  {o.reference}  {o.title[:80]}")
    for o in preview.changed:
        lines.append(f"  change row {o.row}  {o.reference}  {o.title[:80]}")
        for column, before, after in o.shown:
            lines.append(f"           {column}: {before[:60] or '(empty)'} -> {after[:60] or '(empty)'}")
    for e in preview.errors:
        lines.append(f"  ERROR  row {e.row}  {e.column or '-'}  {e.value[:40]!r}: {e.message}")
    for w in preview.warnings:
        lines.append(f"  note   {w}")
    if preview.ignored_columns:
        lines.append(f"  columns read past: {', '.join(preview.ignored_columns)}")
    return lines
