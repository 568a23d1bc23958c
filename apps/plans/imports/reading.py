"""Reading an upload: the first sheet of an XLSX or CSV file as rows of cell values, bounded by
what reading it costs, not only by its size on the wire.

A 243 KB workbook can hold 95 MB of blank styled rows: every row the reader goes through is
counted (blank or not), as is every cell and every cell style the workbook declares, and
reading stops at the first bound it passes (``Budget``), or when the preview's time budget is
spent, with a message that says which and what to do. Formulas are read as their text
(openpyxl with ``data_only=False``), never evaluated.
"""

import csv
import io
import time
import zipfile
from dataclasses import dataclass, field

from .columns import IGNORED_BY_KEY, KNOWN_BY_KEY, header_key

MAX_FILE_BYTES = 10 * 1024 * 1024  # 10 MB: a file this size or larger is refused
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an XLSX is a zip: refuse one that unpacks to more
MAX_STYLES_BYTES = 5 * 1024 * 1024  # styles.xml: a real workbook's is a few KB
MAX_ROWS = 5000  # data rows (not blank) an import takes
MAX_COLUMNS = 100
MAX_ROWS_READ = 20_000  # rows gone through, blank ones included
MAX_CELLS_READ = 600_000  # cells gone through, blank ones included
MAX_CELL_STYLES = 20_000  # cell formats the workbook declares
TIME_BUDGET = 20.0  # seconds for reading and checking one file


class FileRejected(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass
class Budget:
    """What reading one file may cost; ``spend`` refuses past any bound."""

    deadline: float = field(default_factory=lambda: time.monotonic() + TIME_BUDGET)
    rows: int = 0
    cells: int = 0

    def spend(self, cells: int) -> None:
        self.rows += 1
        self.cells += cells
        if self.rows > MAX_ROWS_READ or self.cells > MAX_CELLS_READ:
            raise FileRejected(
                f"The sheet goes on for more than {MAX_ROWS_READ:,} rows or {MAX_CELLS_READ:,} cells, "
                "blank ones included (formatted rows below the plan count too). Copy the plan's own rows "
                "into a new workbook, or save the sheet as CSV, and upload that."
            )
        if self.rows % 200 == 0:
            self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise FileRejected(
                f"Reading the file took longer than {TIME_BUDGET:.0f} seconds, so it was stopped. Copy the "
                "plan's own rows into a new workbook, or save the sheet as CSV, and upload that."
            )


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


def read_file(name, data, budget=None):
    """The first sheet of an uploaded XLSX or CSV file, or FileRejected saying what is wrong."""
    budget = budget or Budget()
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
        return _read_xlsx(data, budget)
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
    return _read_csv(data, budget)


def _damaged():
    return FileRejected(
        "The workbook cannot be read (it may be damaged). Open it in Excel, save it again as "
        ".xlsx, and upload that."
    )


def _read_xlsx(data, budget):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        names = [info.filename for info in infos]
        unpacked = sum(info.file_size for info in infos)
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
    styles = next((info.file_size for info in infos if info.filename == "xl/styles.xml"), 0)
    if styles > MAX_STYLES_BYTES:
        raise FileRejected(
            "The workbook declares more cell formats than a plan needs (its styles take "
            f"{styles / 1024 / 1024:.0f} MB). Copy the plan's rows into a new workbook, or save it as CSV."
        )
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell gives its formula text, never a computed value.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise _damaged() from exc
    try:
        if len(getattr(workbook, "_cell_styles", ())) > MAX_CELL_STYLES:
            raise FileRejected(
                f"The workbook declares more than {MAX_CELL_STYLES:,} cell formats. Copy the plan's rows "
                "into a new workbook, or save it as CSV."
            )
        budget.check_time()
        sheet = workbook.worksheets[0]
        rows, formulas = [], []
        try:
            for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
                budget.spend(len(cells))
                values = []
                for index, cell in enumerate(cells):
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", None) == "f" and value is not None:
                        value = getattr(value, "text", value)  # array formulas carry their text
                        value = str(value) if str(value).startswith("=") else f"={value}"
                        formulas.append((number, index, value))
                    values.append(value)
                if not all(is_blank(v) for v in values):  # sheets often carry styled empty rows
                    rows.append((number, values))
                if len(rows) > MAX_ROWS + 1:
                    break
        except FileRejected:
            raise
        except Exception as exc:  # a damaged sheet fails while it is read
            raise _damaged() from exc
    finally:
        workbook.close()
    return _sheet_from_rows(rows, formulas, "xlsx")


def _read_csv(data, budget):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    if "\x00" in text[:65536]:
        raise FileRejected(
            "The file is not a spreadsheet (it holds binary data). Upload the plan as an Excel workbook "
            "(.xlsx) or a CSV file."
        )
    delimiter = _delimiter(text)
    rows = []
    try:
        for number, values in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            budget.spend(min(len(values), MAX_COLUMNS))
            if not all(is_blank(v) for v in values):
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
    line = next((line for line in text[:65536].splitlines() if line.strip()), "")

    def known(delimiter):
        cells = next(csv.reader([line], delimiter=delimiter), [])
        return sum(
            1 for cell in cells if header_key(cell) in KNOWN_BY_KEY or header_key(cell) in IGNORED_BY_KEY
        )

    return max((",", ";", "\t"), key=known)


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _sheet_from_rows(rows, formulas, kind):
    rows = [(n, values) for n, values in rows if not all(is_blank(v) for v in values)]
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
