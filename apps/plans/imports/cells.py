"""Reading cells: the header row matched to the columns, each cell's text, dates, amounts,
references, statuses, domains and owners, with django-import-export widgets that say what is
wrong with a cell and how to fix it. A cell is checked here exactly as the confirmed import will
check it: a NUL character, a text over its length, a date out of range is a row error in the
preview, never a failure at the confirmation."""

import calendar
import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import tablib
from import_export import widgets

from apps.core.exports import unguard

from ..models import Deliverable
from .columns import (
    COST_TEXT,
    DEADLINE_TEXT,
    KNOWN_BY_KEY,
    POSITION,
    REFERENCE,
    TEMPLATE_COLUMNS,
    THEME_NUMBER,
    TITLE,
    column_letter,
    header_key,
)
from .reading import FileRejected, is_blank


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
        if is_blank(header):
            continue
        key = header_key(header)
        if key in seen:
            raise FileRejected(
                f"The column '{str(header).strip()}' appears twice (columns {column_letter(seen[key])} "
                f"and {column_letter(index)}). Keep one of them."
            )
        seen[key] = index
        if key in KNOWN_BY_KEY:
            columns[KNOWN_BY_KEY[key]] = index
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
    return unguard(text.strip()).strip()


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
        if "\x00" in text:
            raise ValueError(
                "This cell holds a NUL character (binary data), which no text can keep. Retype the "
                "cell, or copy the plan's rows into a new workbook."
            )
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
        **{header_key(label): value for value, label in Deliverable.Status.choices},
        **{header_key(value): value for value in Deliverable.Status.values},
        **{header_key(value.replace("_", " ")): value for value in Deliverable.Status.values},
        "complete": Deliverable.Status.DELIVERED,
        "completed": Deliverable.Status.DELIVERED,
    }

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        try:
            return self.WORDS[header_key(text)]
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
        if "\x00" in text:
            raise ValueError("This cell holds a NUL character (binary data). Retype the owner's name.")
        if not text:
            return OwnerCell(None, "")
        matches = self.by_key.get(header_key(text), set())
        return OwnerCell(next(iter(matches)) if len(matches) == 1 else None, text)


def person_keys(user):
    keys = {header_key(user.get_username())}
    if user.get_full_name().strip():
        keys.add(header_key(user.get_full_name()))
    if user.email:
        keys.add(header_key(user.email))
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
