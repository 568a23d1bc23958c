"""The import's template, as XLSX (with a sheet saying what each column takes) and CSV: the
columns of ``columns.COLUMNS``, the ones the import reads."""

import csv
import io

from .columns import COLUMNS, DELIVERED, IN_PROGRESS, REFERENCE, TEMPLATE_COLUMNS, TITLE, column_letter


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
