"""The risk register export: the full record with every score, band and review, typed; only
the risks the user may see; a fixed number of queries."""

import csv
import datetime
import io
from http import HTTPStatus

import openpyxl
import pytest
from django.urls import reverse

from apps.plans.models import AuthorisationDomain
from apps.risks.models import Risk, RiskReview
from tests.factories import UserFactory
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db
LIST = reverse("risks:risk_list")
UTC = datetime.UTC

HEADERS = [
    "ID",
    "Organisation",
    "Reference",
    "Category",
    "Plan",
    "Risk",
    "Severity",
    "Likelihood",
    "Rating",
    "Band",
    "Mitigation and controls",
    "Residual severity",
    "Residual likelihood",
    "Residual rating",
    "Residual band",
    "Owner",
    "Next review",
    "Review overdue",
    "Status",
    "Outside appetite",  # a principal risk above its tolerance (issue 21)
    "Authorisation domains",
    "Last review",
    "Last reviewed by",
    "Source note",
    "Evidence",  # its evidence's titles and addresses (issue 22)
]


def _body(response):
    assert response.status_code == HTTPStatus.OK
    return b"".join(response.streaming_content)


def _csv(response):
    rows = list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _xlsx(response):
    sheet = openpyxl.load_workbook(io.BytesIO(_body(response)))["Risk register"]
    header = [c.value for c in sheet[1]]
    return header, [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


@pytest.fixture
def reviewed(darlington):
    """R2 (4 x 4 = 16 extreme, residual 4 x 3 = 12 high) with an owner, domains, a past review
    date and two reviews."""
    risk = Risk.objects.get(organisation=darlington, reference="R2")
    risk.owner = UserFactory(username="rowner", first_name="Rita", last_name="Owner")
    risk.next_review_on = datetime.date(2013, 2, 28)
    risk.save()
    risk.domains.set(AuthorisationDomain.objects.filter(number__in=[5, 2]))
    scores = {
        f"{name}_{when}": getattr(risk, name)
        for name in ("severity", "likelihood", "residual_severity", "residual_likelihood")
        for when in ("before", "after")
    }
    for username, at in (
        ("first.reviewer", datetime.datetime(2013, 1, 10, 9, 0, tzinfo=UTC)),
        (
            "second.reviewer",
            datetime.datetime(2013, 1, 31, 23, 30, tzinfo=UTC),
        ),
    ):
        reviewer = UserFactory(
            username=username, first_name=username.split(".")[0].title(), last_name="Reviewer"
        )
        RiskReview.objects.create(risk=risk, reviewed_by=reviewer, created_at=at, note="Reviewed.", **scores)
    return risk


def test_csv_has_the_full_record_with_every_score_band_and_review(client, admin_user, reviewed):
    client.force_login(admin_user)
    header, records = _csv(client.get(LIST, {"_export": "csv"}))
    assert header == HEADERS
    (record,) = [r for r in records if r["ID"] == str(reviewed.pk)]
    assert record == {
        "ID": str(reviewed.pk),
        "Organisation": "NHS Darlington CCG",
        "Reference": "R2",
        "Category": reviewed.category,
        "Plan": reviewed.plan.title if reviewed.plan else "",
        "Risk": reviewed.description,
        "Severity": "4",
        "Likelihood": "4",
        "Rating": "16",
        "Band": "Extreme",
        "Mitigation and controls": reviewed.mitigation,
        "Residual severity": "4",
        "Residual likelihood": "3",
        "Residual rating": "12",
        "Residual band": "High",
        "Owner": "Rita Owner",
        "Next review": "2013-02-28",
        "Review overdue": "Yes",
        "Status": "Open",
        "Outside appetite": "No",  # not a principal risk of the framework
        "Authorisation domains": "2; 5",
        "Last review": "2013-01-31 23:30",  # GMT: London time is UTC in January
        "Last reviewed by": "Second Reviewer",
        "Source note": reviewed.source_note,
        "Evidence": "",  # none linked (tests/evidence/test_cycle.py exports some)
    }
    assert reviewed.mitigation and reviewed.description
    others = [r for r in records if r["ID"] != str(reviewed.pk)]
    assert len(others) == 8
    assert {r["Review overdue"] for r in others} == {"No"}  # no review date: not overdue


def test_xlsx_has_ratings_as_numbers_with_their_bands_beside_them(client, admin_user, reviewed):
    client.force_login(admin_user)
    header, rows = _xlsx(client.get(LIST, {"_export": "xlsx"}))
    assert header == HEADERS
    (cells,) = [r for r in rows if r["ID"].value == reviewed.pk]
    for name, value in {
        "Severity": 4,
        "Likelihood": 4,
        "Rating": 16,
        "Residual severity": 4,
        "Residual likelihood": 3,
        "Residual rating": 12,
    }.items():
        assert (cells[name].value, cells[name].data_type) == (value, "n"), name
    assert (cells["Band"].value, cells["Residual band"].value) == ("Extreme", "High")
    assert cells["Next review"].is_date and cells["Next review"].value == datetime.datetime(2013, 2, 28)
    assert cells["Next review"].number_format == "dd/mm/yyyy"
    assert cells["Last review"].value == datetime.datetime(2013, 1, 31, 23, 30)
    assert cells["Review overdue"].value == "Yes"
    ratings = [r["Rating"].value for r in rows]
    assert ratings == sorted(ratings, reverse=True)  # the list's default order, highest first


def test_a_closed_risk_past_its_review_date_is_not_review_overdue(client, admin_user, reviewed):
    reviewed.status = Risk.Status.CLOSED
    reviewed.save()
    client.force_login(admin_user)
    _, records = _csv(client.get(LIST, {"status": "closed", "_export": "csv"}))
    assert [(r["ID"], r["Status"], r["Review overdue"]) for r in records] == [
        (str(reviewed.pk), "Closed", "No")
    ]


def test_exports_contain_only_the_risks_the_user_may_see(client, staff_dorset, staff_darlington, darlington):
    client.force_login(staff_dorset)
    staff_headers = [h for h in HEADERS if h != "Source note"]  # administrators only (issue 25.7)
    header, records = _csv(client.get(LIST, {"_export": "csv"}))
    assert header == staff_headers and records == []
    header, rows = _xlsx(client.get(LIST, {"_export": "xlsx"}))
    assert header == staff_headers and rows == []
    client.force_login(staff_darlington)
    _, records = _csv(client.get(LIST, {"_export": "csv"}))
    assert {int(r["ID"]) for r in records} == set(
        Risk.objects.filter(organisation=darlington).values_list("pk", flat=True)
    )
    assert len(records) == 9


def test_formulas_in_a_risk_are_written_as_text(client, admin_user, darlington):
    risk = RiskFactory(organisation=darlington, description="=cmd|' /C calc'!A0", mitigation="@SUM(1+9)")
    client.force_login(admin_user)
    _, records = _csv(client.get(LIST, {"_export": "csv", "q": "cmd"}))
    assert [(r["ID"], r["Risk"], r["Mitigation and controls"]) for r in records] == [
        (str(risk.pk), "'=cmd|' /C calc'!A0", "'@SUM(1+9)")
    ]
    _, rows = _xlsx(client.get(LIST, {"_export": "xlsx", "q": "cmd"}))
    assert [(r["Risk"].value, r["Risk"].data_type) for r in rows] == [("'=cmd|' /C calc'!A0", "s")]


def test_export_query_count_is_fixed_from_20_to_500_risks(
    client, staff_dorset, dorset, django_assert_max_num_queries
):
    client.force_login(staff_dorset)
    owner = UserFactory()
    domains = list(AuthorisationDomain.objects.all())

    def add(count):
        for i, risk in enumerate(RiskFactory.create_batch(count, organisation=dorset, owner=owner)):
            risk.domains.set(domains[: i % 3])

    add(20)
    _body(client.get(LIST, {"_export": "csv"}))
    with django_assert_max_num_queries(12) as baseline:
        _body(client.get(LIST, {"_export": "csv"}))
    add(480)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        body = _body(client.get(LIST, {"_export": "csv"}))
    assert body.count(b"\r\n") == 501


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_what_a_reader_may_not_see_is_not_in_their_export(client, darlington, reviewed, export_format):
    """The source note is for administrators on the risk's page; a governing-body member's (or
    staff's) export leaves the column out, as the page does (apps/core/audience.py)."""
    from apps.organisations.models import Membership
    from tests.factories import MembershipFactory

    reader = UserFactory(username="t.board.darlington")
    MembershipFactory(user=reader, organisation=darlington, role=Membership.Role.GOVERNING_BODY)
    assert reviewed.source_note
    client.force_login(reader)
    response = client.get(LIST, {"_export": export_format})
    header, records = (_csv if export_format == "csv" else _xlsx)(response)
    assert header == [h for h in HEADERS if h != "Source note"]
    assert reviewed.source_note not in _body(client.get(LIST, {"_export": "csv"})).decode("utf-8-sig")
    page = client.get(reviewed.get_absolute_url()).content.decode()
    assert 'id="about-source"' not in page
