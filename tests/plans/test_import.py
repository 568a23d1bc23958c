"""The plan import: reading files, mapping rows, the preview and the import through the services."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook
from pghistory.models import Events

from apps.plans import imports as im
from apps.plans import services
from apps.plans.models import Deliverable, ODPlan, StatusUpdate, Theme
from tests.factories import UserFactory
from tests.plans.import_files import column, plan_rows, to_csv, to_xlsx

pytestmark = pytest.mark.django_db

# The full record the deliverables export writes (its rewrite carries these headers): the
# import reads the ones it sets and reads past the rest.
EXPORT_COLUMNS = (
    "ID",
    "Organisation",
    "Plan",
    im.THEME_NUMBER,
    im.THEME_TITLE,
    im.POSITION,
    im.SUBHEADING,
    im.TITLE,
    im.OWNER,
    im.DEADLINE,
    im.DEADLINE_TEXT,
    im.COST_AMOUNT,
    im.COST_TEXT,
    im.DOMAINS,
    im.STATUS,
    "Overdue",
    im.SOURCE_STATUS,
    im.DELIVERED,
    im.IN_PROGRESS,
    im.METHODS,
    im.SOURCE,
    im.COMMENTS,
    "Last update",
    "Last update by",
)


@pytest.fixture
def dorset_plan(dorset):
    return ODPlan.objects.get(organisation=dorset)


@pytest.fixture
def darlington_plan(darlington):
    return ODPlan.objects.get(organisation=darlington)


def preview(plan, data, name="plan.csv", organisation=None):
    target = im.Target.load(organisation or plan.organisation, plan)
    return im.build_preview(target=target, file_name=name, data=data)


def rejected(data, name="plan.xlsx"):
    with pytest.raises(im.FileRejected) as excinfo:
        im.read_file(name, data)
    return str(excinfo.value)


def errors_of(p):
    return [(e.row, e.column, e.value) for e in p.errors]


# --- An export re-imports as it is --------------------------------------------------------------


@pytest.mark.parametrize("fmt", [to_csv, to_xlsx])
@pytest.mark.parametrize("plan_name", ["dorset_plan", "darlington_plan"])
def test_a_seed_plan_written_in_the_template_columns_imports_unchanged(request, plan_name, fmt):
    plan = request.getfixturevalue(plan_name)
    p = preview(plan, fmt(plan_rows(plan)))
    assert p.ok, p.errors
    assert (len(p.new), len(p.changed)) == (0, 0)
    assert len(p.unchanged) == Deliverable.objects.filter(theme__plan=plan).count()
    assert not p.has_changes


@pytest.mark.parametrize("fmt", [to_csv, to_xlsx])
def test_the_exports_full_record_imports_unchanged_and_its_extra_columns_are_read_past(darlington_plan, fmt):
    p = preview(darlington_plan, fmt(plan_rows(darlington_plan, EXPORT_COLUMNS)))
    assert p.ok, p.errors
    assert len(p.unchanged) == 41 and not p.changed and not p.new
    assert p.ignored_columns == ["ID", "Organisation", "Plan", "Overdue", "Last update", "Last update by"]


def test_the_exports_formula_guard_is_taken_off_again(darlington_plan, staff_darlington):
    deliverable = Deliverable.objects.filter(theme__plan=darlington_plan).first()
    services.deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=staff_darlington,
        expected_version=deliverable.version,
        changes={"in_progress_narrative": "-5% on last year"},
    )
    rows = plan_rows(darlington_plan)
    row = next(r for r in rows if r[column(rows, im.IN_PROGRESS)] == "-5% on last year")
    row[column(rows, im.IN_PROGRESS)] = "'-5% on last year"  # as the export writes it
    p = preview(darlington_plan, to_csv(rows))
    assert p.ok and not p.changed


def test_headers_match_whatever_their_case_and_spacing(dorset_plan):
    rows = plan_rows(dorset_plan)
    rows[0] = [f"  {h.upper()} " for h in rows[0]]
    p = preview(dorset_plan, to_csv(rows))
    assert p.ok and len(p.unchanged) == 54


# --- Bad files: a clear message, nothing saved ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image, not a spreadsheet"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "a PDF document, not a spreadsheet"),
        (b"\x00\x01\x02binary\x00garbage", "not a spreadsheet"),
        (b"PK\x03\x04 not really a zip", "cannot be opened"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel 97-2003 workbook"),
        (b"   \n  ", "The file is empty"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused(data, expected):
    assert expected in rejected(data)


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "not an Excel workbook" in rejected(out.getvalue(), "plan.docx")


def test_a_file_of_10_mb_or_more_is_refused():
    assert "under 10 MB" in rejected(b"a" * im.MAX_FILE_BYTES, "plan.csv")
    im.read_file("plan.csv", b"Reference,Deliverable / action\n1.1,x\n" + b" " * 1000)  # small is fine


def test_a_workbook_with_macros_is_refused_by_its_name_or_its_contents(dorset_plan):
    xlsx = to_xlsx(plan_rows(dorset_plan))
    assert "macros" in rejected(xlsx, "plan.xlsm")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    assert "contains macros" in rejected(out.getvalue(), "plan.xlsx")


def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(im.reading, "MAX_UNPACKED_BYTES", 10_000)  # the check, without 100 MB of test data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 10_001)
    assert len(out.getvalue()) < 1000  # a small upload that unpacks big
    assert "unpacks to more than 100 MB" in rejected(out.getvalue())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("name,age", "no 'Deliverable / action' column"),
        ("Deliverable / action,Status", "no 'Reference' column"),
        ("Reference,Deliverable / action,Status,status", "The column 'status' appears twice (columns C and"),
    ],
)
def test_wrong_or_missing_headers_are_refused(dorset_plan, header, expected):
    with pytest.raises(im.FileRejected) as excinfo:
        preview(dorset_plan, f"{header}\n1.1,Something,In progress\n".encode())
    assert expected in str(excinfo.value)


def test_a_file_with_headers_and_no_rows_is_refused(dorset_plan):
    with pytest.raises(im.FileRejected, match="no deliverables under it"):
        preview(dorset_plan, b"Reference,Deliverable / action\n\n,\n")


def test_more_rows_than_the_limit_are_refused(dorset_plan):
    body = "".join(f"1.{i % 999 + 1},x\n" for i in range(im.MAX_ROWS + 1))
    with pytest.raises(im.FileRejected, match="at most 5,000"):
        preview(dorset_plan, ("Reference,Deliverable / action\n" + body).encode())


def _with_cell(plan, reference, name, value):
    rows = plan_rows(plan)
    row = next(r for r in rows[1:] if r[column(rows, im.REFERENCE)] == reference)
    row[column(rows, name)] = value
    return rows


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (im.STATUS, "Done", "'Done' is not a status. Use one of: Not started, Proposed"),
        (im.DOMAINS, "1; 7", "'7' is not an authorisation domain. Domains are numbered 1 to 6"),
        (im.DEADLINE, "soonish", "'soonish' is neither a date nor a deadline ccgtrack recognises"),
        (im.DEADLINE, "31/02/2013", "is neither a date nor a deadline"),
        (im.TITLE, "x" * (im.TITLE_MAX_LENGTH + 1), "1,001 characters long; the limit is 1,000"),
        (im.TITLE, "", "every deliverable needs a title"),
        (im.SUBHEADING, "s" * 201, "201 characters long; the limit is 200"),
        (im.COST_AMOUNT, "about 5k", "'about 5k' is not an amount"),
        (im.COST_AMOUNT, "-5", "not an amount"),
        (im.REFERENCE, "1-4", "'1-4' is not a reference"),
        (im.THEME_NUMBER, "2", "is in theme 1, but this says theme 2"),
    ],
)
def test_a_bad_cell_is_a_row_error_with_its_row_column_value_and_fix(darlington_plan, name, value, expected):
    rows = _with_cell(darlington_plan, "1.3", name, value)
    p = preview(darlington_plan, to_csv(rows))
    assert not p.ok
    [error] = p.errors
    assert (error.row, error.column) == (4, name)  # header is row 1; 1.3 is the third deliverable
    assert error.value == value[:200]
    assert expected in error.message
    assert len(p.unchanged) == 40  # the other rows are still checked


def test_every_error_of_a_file_is_listed_and_nothing_is_saved(darlington_plan, staff_darlington):
    rows = _with_cell(darlington_plan, "1.3", im.STATUS, "Done")
    rows[5][column(rows, im.DEADLINE)] = "whenever"
    before = list(Deliverable.objects.filter(theme__plan=darlington_plan).values_list("version", flat=True))
    p = preview(darlington_plan, to_csv(rows))
    assert [(e.row, e.column) for e in p.errors] == [(4, im.STATUS), (6, im.DEADLINE)]
    with pytest.raises(Exception, match="errors"):
        im.apply(p, acting_user=staff_darlington)
    after = list(Deliverable.objects.filter(theme__plan=darlington_plan).values_list("version", flat=True))
    assert before == after


def test_duplicated_references_are_errors_naming_the_other_row(dorset_plan):
    rows = plan_rows(dorset_plan)
    rows[3][column(rows, im.REFERENCE)] = rows[2][column(rows, im.REFERENCE)]
    p = preview(dorset_plan, to_csv(rows))
    [error] = p.errors
    assert (error.row, error.column, error.value) == (4, im.REFERENCE, "1.2")
    assert "also in row 3" in error.message


def test_a_reference_stored_as_a_number_is_refused(dorset_plan):
    rows = plan_rows(dorset_plan)
    rows[1][column(rows, im.REFERENCE)] = 1.1
    p = preview(dorset_plan, to_xlsx(rows, text_columns=()), name="plan.xlsx")
    [error] = p.errors
    assert error.column == im.REFERENCE and "stored as a number" in error.message


def test_formulas_are_imported_as_their_text_never_evaluated(dorset_plan, staff_dorset):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([im.REFERENCE, im.THEME_TITLE, im.TITLE, im.COMMENTS])
    sheet.append(["9.1", "Formulas", "=1+1", '=HYPERLINK("http://example.invalid","click")'])
    out = io.BytesIO()
    workbook.save(out)
    p = preview(dorset_plan, out.getvalue(), name="formulas.xlsx")
    assert p.ok, p.errors
    assert p.new[0].values["title"] == "=1+1"
    assert any("the formula =1+1 is imported as its text" in w for w in p.warnings)
    im.apply(p, acting_user=staff_dorset)
    created = Deliverable.objects.get(theme__plan=dorset_plan, theme__number=9, position=1)
    assert (created.title, created.comments) == ("=1+1", '=HYPERLINK("http://example.invalid","click")')


def test_an_organisation_the_user_may_not_edit_is_refused_and_nothing_is_saved(
    darlington_plan, staff_dorset, board_dorset
):
    rows = _with_cell(darlington_plan, "1.1", im.STATUS, "Delivered")
    p = preview(darlington_plan, to_csv(rows))
    assert p.ok and len(p.changed) == 1
    for user in (staff_dorset, board_dorset):
        with pytest.raises(PermissionDenied):
            im.apply(p, acting_user=user)
    assert not StatusUpdate.objects.filter(deliverable__theme__plan=darlington_plan).exists()
    new_plan = preview(None, to_csv(plan_rows(darlington_plan)), organisation=darlington_plan.organisation)
    with pytest.raises(PermissionDenied):
        im.apply(new_plan, acting_user=staff_dorset, new_plan={"title": "Stolen", "period_label": "x"})
    assert not ODPlan.objects.filter(title="Stolen").exists()


# --- The row mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "recognised", "date"),
    [
        ("Nov 2012", True, datetime.date(2012, 11, 30)),
        ("Sept 2012", True, datetime.date(2012, 9, 30)),
        ("by the end of January 2014", True, datetime.date(2014, 1, 31)),
        ("from 1st April 2014", True, datetime.date(2014, 4, 1)),
        ("First draft end May 2012 Final draft end October 2012", True, datetime.date(2012, 10, 31)),
        ("February 2016", True, datetime.date(2016, 2, 29)),
        ("in December", True, None),
        ("in early 2014", True, None),
        ("Q3 2013/14", True, None),
        ("ongoing", True, None),
        ("TBC", True, None),
        ("n/a", True, None),
        ("soonish", False, None),
        ("we may", False, None),
    ],
)
def test_deadline_words(text, recognised, date):
    assert im.parse_deadline_text(text) == (recognised, date)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("£10K", Decimal("10000.00")),
        ("2,000", Decimal("2000.00")),
        ("£1.5m", Decimal("1500000.00")),
        ("Part of £10K", None),
        ("£300 per practice", None),
        ("n/a", None),
    ],
)
def test_a_cost_amount_is_read_only_from_an_amount_alone(text, amount):
    assert im.parse_amount(text) == amount


def _one_row_file(**cells):
    header = [im.REFERENCE, im.THEME_TITLE, im.TITLE, *cells]
    return to_csv([header, ["9.1", "A new theme", "A new deliverable", *cells.values()]])


def test_statuses_are_read_by_label_value_or_the_sources_words(dorset_plan):
    for written, value in [
        ("in progress", "in_progress"),
        ("under_development", "under_development"),
        ("Completed", "delivered"),
    ]:
        p = preview(dorset_plan, _one_row_file(Status=written))
        assert p.new[0].values["status"] == value
    assert preview(dorset_plan, _one_row_file(Status="")).new[0].values["status"] == "not_started"


def test_a_deadline_is_a_date_or_words_kept_as_the_sources_text(dorset_plan):
    values = preview(dorset_plan, _one_row_file(Deadline="end of March 2013")).new[0].values
    assert (values["deadline"], values["deadline_text"]) == (datetime.date(2013, 3, 31), "end of March 2013")
    values = preview(dorset_plan, _one_row_file(Deadline="31/10/2012")).new[0].values
    assert (values["deadline"], values["deadline_text"]) == (datetime.date(2012, 10, 31), "")
    values = preview(dorset_plan, _one_row_file(Deadline="ongoing")).new[0].values
    assert (values["deadline"], values["deadline_text"]) == (None, "ongoing")


def test_a_cost_is_kept_as_text_with_its_amount_where_it_states_one(dorset_plan):
    values = preview(dorset_plan, _one_row_file(**{im.COST_TEXT: "£2K"})).new[0].values
    assert (values["cost_text"], values["cost_amount"]) == ("£2K", Decimal("2000.00"))
    values = preview(dorset_plan, _one_row_file(**{im.COST_TEXT: "£500 per day"})).new[0].values
    assert (values["cost_text"], values["cost_amount"]) == ("£500 per day", None)


def test_an_owner_is_matched_to_a_member_by_name_username_or_email_else_kept_as_text(dorset_plan, dorset):
    from tests.factories import MembershipFactory

    jo = UserFactory(username="jo.bloggs", first_name="Jo", last_name="Bloggs", email="jo@nhs.example")
    MembershipFactory(user=jo, organisation=dorset)
    outsider = UserFactory(username="outsider", first_name="Out", last_name="Sider")
    for written in ("Jo Bloggs", "JO.BLOGGS", "jo@nhs.example"):
        values = preview(dorset_plan, _one_row_file(Owner=written)).new[0].values
        assert (values["owner"], values["owner_text"]) == (jo, "")
    p = preview(dorset_plan, _one_row_file(Owner="Out Sider"))
    assert (p.new[0].values["owner"], p.new[0].values["owner_text"]) == (None, "Out Sider")
    assert any("'Out Sider' (row 2)" in w for w in p.warnings)
    assert outsider.pk  # a user outside the organisation is never made the owner


def test_a_missing_theme_needs_its_title_and_a_new_objective_is_added_once(dorset_plan):
    header = [im.REFERENCE, im.THEME_TITLE, im.OBJECTIVE, im.TITLE]
    p = preview(dorset_plan, to_csv([header, ["9.1", "", "", "No theme title"]]))
    assert [(e.column, "no theme 9 yet" in e.message) for e in p.errors] == [(im.THEME_TITLE, True)]
    rows = [
        header,
        ["9.1", "Nine", "Be good", "a"],
        ["9.2", "", "Be good", "b"],
        ["1.90", "", "New objective", "c"],
    ]
    p = preview(dorset_plan, to_csv(rows))
    assert p.ok, p.errors
    assert p.new_themes == [(9, "Nine")]
    assert p.new_objectives == [(9, "Be good"), (1, "New objective")]


def test_a_theme_titled_twice_differently_is_an_error_and_an_existing_title_is_kept(dorset_plan):
    header = [im.REFERENCE, im.THEME_TITLE, im.TITLE]
    p = preview(dorset_plan, to_csv([header, ["9.1", "Nine", "a"], ["9.2", "Ninth", "b"]]))
    assert [(e.row, e.column) for e in p.errors] == [(3, im.THEME_TITLE)]
    p = preview(dorset_plan, to_csv([header, ["1.99", "Renamed", "x"]]))
    assert p.ok and any("keeps its title 'Governance, Structures and Processes'" in w for w in p.warnings)


# --- The import -----------------------------------------------------------------------------------


def test_every_change_goes_through_the_edit_path_with_its_history_row_and_audit_event(
    darlington_plan, staff_darlington
):
    rows = _with_cell(darlington_plan, "1.1", im.STATUS, "Delivered")
    target = next(r for r in rows[1:] if r[column(rows, im.REFERENCE)] == "1.2")
    target[column(rows, im.TITLE)] = "A new wording of 1.2"
    target[column(rows, im.DOMAINS)] = "2; 5"
    rows.append([""] * len(rows[0]))
    rows[-1][column(rows, im.REFERENCE)] = "8.1"
    rows[-1][column(rows, im.THEME_TITLE)] = "Digital"
    rows[-1][column(rows, im.TITLE)] = "Put the plan online"
    p = preview(darlington_plan, to_csv(rows), name="darlington 2013.csv")
    assert p.ok, p.errors
    assert [o.reference for o in p.changed] == ["1.1", "1.2"] and [o.reference for o in p.new] == ["8.1"]
    im.apply(p, acting_user=staff_darlington)

    one = Deliverable.objects.get(theme__plan=darlington_plan, theme__number=1, position=1)
    update = one.updates.get()
    assert (update.from_status, update.to_status, update.note, update.created_by) == (
        "in_progress",
        "delivered",
        "Imported from darlington 2013.csv",
        staff_darlington,
    )
    event = Events.objects.tracks(one).filter(pgh_label="update").get()
    assert event.pgh_context["via"] == "import" and event.pgh_context["note"] == update.note
    assert update.audit_context_id == event.pgh_context_id

    two = Deliverable.objects.get(theme__plan=darlington_plan, theme__number=1, position=2)
    assert two.title == "A new wording of 1.2"  # staff may set the plan's wording by import
    assert sorted(d.number for d in two.domains.all()) == [2, 5]
    assert "Authorisation domains: 1; 4; 6 → 2; 5." in two.updates.get().note

    new = Deliverable.objects.get(theme__plan=darlington_plan, theme__number=8, position=1)
    assert new.theme.title == "Digital"
    first = new.updates.get()
    assert (first.from_status, first.to_status) == ("", "not_started")
    assert first.note == "Imported from darlington 2013.csv"
    insert = Events.objects.tracks(new).get()
    assert insert.pgh_label == "insert" and insert.pgh_context_id == first.audit_context_id


def test_importing_the_same_file_twice_changes_nothing_the_second_time(darlington_plan, staff_darlington):
    rows = _with_cell(darlington_plan, "2.2", im.STATUS, "Delivered")
    rows.append(["9", "Nine", "", "9.1", "", "New", "", "", "", "", "", "", "", "", "", "", "", "", ""])
    data = to_xlsx(rows)
    im.apply(preview(darlington_plan, data, "plan.xlsx"), acting_user=staff_darlington)
    updates = StatusUpdate.objects.count()
    again = preview(darlington_plan, data, "plan.xlsx")
    assert again.ok and not again.has_changes and len(again.unchanged) == 42
    im.apply(again, acting_user=staff_darlington)
    assert StatusUpdate.objects.count() == updates
    assert Theme.objects.filter(plan=darlington_plan, number=9).count() == 1


def test_a_version_change_after_the_preview_is_a_conflict_and_the_whole_import_is_undone(
    darlington_plan, staff_darlington
):
    rows = _with_cell(darlington_plan, "1.1", im.STATUS, "Delivered")
    later = next(r for r in rows[1:] if r[column(rows, im.REFERENCE)] == "7.3")
    later[column(rows, im.STATUS)] = "Delivered"
    p = preview(darlington_plan, to_csv(rows))
    assert [o.reference for o in p.changed] == ["1.1", "7.3"]
    meanwhile = Deliverable.objects.get(theme__plan=darlington_plan, theme__number=7, position=3)
    services.deliverable_update(
        deliverable_id=meanwhile.pk,
        acting_user=staff_darlington,
        expected_version=meanwhile.version,
        changes={"in_progress_narrative": "Saved by someone else"},
    )
    with pytest.raises(im.ImportConflict):
        im.apply(p, acting_user=staff_darlington)
    first = Deliverable.objects.get(theme__plan=darlington_plan, theme__number=1, position=1)
    assert first.status == "in_progress" and first.version == 1  # the first row's change was undone
    assert StatusUpdate.objects.filter(deliverable__theme__plan=darlington_plan).count() == 1


def test_an_unchanged_row_saved_meanwhile_is_a_conflict_too(darlington_plan, staff_darlington):
    p = preview(darlington_plan, to_csv(_with_cell(darlington_plan, "1.1", im.STATUS, "Delivered")))
    other = Deliverable.objects.get(theme__plan=darlington_plan, theme__number=2, position=1)
    services.deliverable_update(
        deliverable_id=other.pk,
        acting_user=staff_darlington,
        expected_version=other.version,
        changes={"in_progress_narrative": "Saved by someone else"},
    )
    with pytest.raises(im.ImportConflict):
        im.apply(p, acting_user=staff_darlington)
    first = Deliverable.objects.get(theme__plan=darlington_plan, theme__number=1, position=1)
    assert (first.status, first.updates.count()) == ("in_progress", 0)


def test_a_new_plan_is_created_with_its_themes_objectives_and_deliverables(darlington_plan, staff_darlington):
    rows = plan_rows(darlington_plan)
    rows[1][column(rows, im.OBJECTIVE)] = "Culture first"
    p = preview(None, to_xlsx(rows), "next plan.xlsx", organisation=darlington_plan.organisation)
    assert p.ok and len(p.new) == 41 and len(p.new_themes) == 7
    new_plan = {"title": "OD plan 2024-2027", "period_label": "2024-2027"}
    plan = im.apply(p, acting_user=staff_darlington, new_plan=new_plan)
    assert (plan.title, plan.organisation) == ("OD plan 2024-2027", darlington_plan.organisation)
    assert plan.themes.count() == 7 and plan.themes.get(number=1).objectives.get().text == "Culture first"
    assert Deliverable.objects.filter(theme__plan=plan).count() == 41
    again = preview(plan, to_xlsx(rows), "next plan.xlsx")
    assert again.ok and not again.has_changes  # the new plan re-imports unchanged


def test_the_template_has_the_import_columns_and_imports_once_filled_in(dorset_plan, staff_dorset):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(im.template_xlsx()))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == list(im.TEMPLATE_COLUMNS)
    assert workbook.sheetnames == ["Plan", "How to fill this in"]
    assert im.template_csv().decode("utf-8-sig").strip() == ",".join(
        f'"{h}"' if "," in h else h for h in im.TEMPLATE_COLUMNS
    )
    row = dict.fromkeys(im.TEMPLATE_COLUMNS, "")
    row.update({im.REFERENCE: "1.70", im.TITLE: "From a template", im.DEADLINE: "Dec 2026", im.DOMAINS: "3"})
    sheet.append(list(row.values()))
    out = io.BytesIO()
    workbook.save(out)
    p = preview(dorset_plan, out.getvalue(), "template.xlsx")
    assert p.ok, p.errors
    [new] = p.new
    assert (new.reference, new.values["deadline"], [d.number for d in new.domains]) == (
        "1.70",
        datetime.date(2026, 12, 31),
        [3],
    )


def test_a_deliverable_added_at_a_new_reference_since_the_preview_is_a_conflict(dorset_plan, staff_dorset):
    from tests.plans.factories import DeliverableFactory

    rows = _with_cell(dorset_plan, "1.1", im.STATUS, "In progress")
    rows.append(["1", "", "", "1.90", "", "Added by the import", *[""] * 13])
    p = preview(dorset_plan, to_csv(rows))
    assert [o.reference for o in p.new] == ["1.90"] and [o.reference for o in p.changed] == ["1.1"]
    DeliverableFactory(theme=dorset_plan.themes.get(number=1), position=90, title="Added meanwhile")
    with pytest.raises(im.ImportConflict):
        im.apply(p, acting_user=staff_dorset)
    assert Deliverable.objects.get(theme__plan=dorset_plan, theme__number=1, position=1).status == "delivered"
    assert not StatusUpdate.objects.filter(deliverable__theme__plan=dorset_plan).exists()


def test_new_deliverables_are_added_in_a_fixed_number_of_queries(
    dorset_plan, staff_dorset, django_assert_max_num_queries
):
    def file(count, theme):
        header = [im.REFERENCE, im.THEME_TITLE, im.TITLE, im.DOMAINS]
        return to_csv([header] + [[f"{theme}.{i + 1}", "Bulk", f"Row {i}", "1; 2"] for i in range(count)])

    small = preview(dorset_plan, file(3, 20))
    # 40: apply reads the file again against the plan under the plan's lock (the plan's themes,
    # deliverables, domains and people: five queries) before it writes.
    with django_assert_max_num_queries(40) as baseline:
        im.apply(small, acting_user=staff_dorset)
    large = preview(dorset_plan, file(300, 21))
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        im.apply(large, acting_user=staff_dorset)
    assert Deliverable.objects.filter(theme__plan=dorset_plan, theme__number=21).count() == 300
    assert (
        StatusUpdate.objects.filter(deliverable__theme__number=21, note="Imported from plan.csv").count()
        == 300
    )


def test_a_semicolon_csv_from_excel_in_another_locale_reads_the_same(dorset_plan):
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in plan_rows(dorset_plan):
        writer.writerow(["" if v is None else v for v in row])
    p = preview(dorset_plan, out.getvalue().encode("cp1252", errors="replace"))
    assert p.ok and len(p.unchanged) == 54


def test_empty_and_styled_empty_rows_are_skipped_and_rows_after_them_still_read(dorset_plan):
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    rows = plan_rows(dorset_plan)
    workbook = load_workbook(io.BytesIO(to_xlsx(rows[:10])))
    sheet = workbook.active
    for number in range(11, 41):  # thirty empty rows, styled as spreadsheets often are
        sheet.cell(row=number, column=1).font = Font(bold=True)
    for row in rows[10:]:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    p = preview(dorset_plan, out.getvalue(), "gaps.xlsx")
    assert p.ok, p.errors
    assert len(p.unchanged) == 54 and p.unchanged[-1].row == 40 + 45  # sheet row numbers kept


def test_an_export_reimported_after_someone_edits_a_row_marks_it_as_a_conflict(
    client, staff_darlington, darlington_plan
):
    """The export carries each row's version: a row someone changed after the file was exported
    is a conflict in the preview, with both values, and is applied only if chosen (issue 25.5)."""
    import openpyxl
    from django.urls import reverse

    from apps.plans import services

    client.force_login(staff_darlington)
    response = client.get(reverse("plans:deliverable_list"), {"plan": darlington_plan.pk, "_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = table[0]
    first = Deliverable.objects.get(theme__plan=darlington_plan, theme__number=1, position=1)
    row = next(r for r in table[1:] if r[header.index("ID")] == first.pk)
    row[header.index(im.COMMENTS)] = "From the spreadsheet"
    services.deliverable_update(  # meanwhile, someone updates the row in ccgtrack
        deliverable_id=first.pk,
        acting_user=staff_darlington,
        expected_version=first.version,
        changes={"in_progress_narrative": "Written in ccgtrack after the export"},
    )
    p = preview(darlington_plan, to_xlsx(table), "export.xlsx")
    assert p.ok and [o.deliverable_id for o in p.conflicts] == [first.pk]
    assert not p.changed
    (conflict,) = p.conflicts
    assert (conflict.base_version, conflict.version) == (1, 2)
    assert (
        im.IN_PROGRESS,
        "Written in ccgtrack after the export",
        first.in_progress_narrative,
    ) in conflict.shown
    im.apply(p, acting_user=staff_darlington)  # not chosen: left as it is
    first.refresh_from_db()
    assert first.in_progress_narrative == "Written in ccgtrack after the export"
    again = preview(darlington_plan, to_xlsx(table), "export.xlsx")
    im.apply(again, acting_user=staff_darlington, accept=[first.pk])  # chosen: applied
    first.refresh_from_db()
    assert first.comments == "From the spreadsheet" and first.version == 3
