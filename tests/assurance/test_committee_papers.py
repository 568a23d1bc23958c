"""Committee papers (issue 21, item 5) and outside appetite on the risk register (item 3):
issuing a paper to a committee as the board's paper is issued (the permission matrix, the
snapshot and PDF frozen, changes since the paper before, corrections superseding, the database
refusing to change a paper, a fixed number of queries), and the register's flag, filter and
export column from the framework's one definition."""

import csv
import datetime
import hashlib
import io
from http import HTTPStatus

import openpyxl
import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from apps.assurance import committee_papers
from apps.assurance.models import Assurance, CommitteePaper, Level, PrincipalRisk
from apps.organisations.models import Membership
from apps.risks.models import Risk
from tests.assurance.factories import AssuranceFactory, CommitteeFactory, ControlFactory, GapFactory
from tests.assurance.test_views import _framework, _member
from tests.browser.test_every_page import _developer_words, _text
from tests.factories import OrganisationFactory, UserFactory
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db

MEETING = datetime.date(2026, 3, 4)


@pytest.fixture
def ccg():
    return OrganisationFactory()


@pytest.fixture
def committee(ccg):
    """An audit committee monitoring two principal risks: the first outside appetite (current
    12, finance tolerance 9), the second within (current 8)."""
    committee = CommitteeFactory(organisation=ccg, name="Audit Committee", purpose="Audit and assurance.")
    _framework(ccg, 2, committee=committee)
    return committee


def _issue_url(committee):
    return reverse("assurance:committee_paper_issue", args=[committee.pk])


def _pdf_url(paper):
    return reverse("assurance:committee_paper_pdf", args=[paper.pk])


def _post(
    client, committee, *, meeting=MEETING, title="Assurance to the Audit Committee", note="", latest=None
):
    if latest is None:
        latest = committee_papers.latest_number(committee.pk)
    return client.post(
        _issue_url(committee),
        {"meeting_date": meeting.isoformat(), "title": title, "latest": latest, "correction_note": note},
    )


def _issue(user, committee, *, meeting=MEETING, note=""):
    return committee_papers.issue_committee_paper(
        committee_id=committee.pk,
        acting_user=user,
        meeting_date=meeting,
        title="Assurance to the Audit Committee",
        latest_seen=committee_papers.latest_number(committee.pk),
        correction_note=note,
    )


def _pdf(client, paper):
    response = client.get(_pdf_url(paper))
    assert response.status_code == HTTPStatus.OK, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Issuing: who may ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "get_status", "issued"),
    [
        ("staff", HTTPStatus.OK, True),
        ("orgadmin", HTTPStatus.OK, True),
        ("admin", HTTPStatus.OK, True),
        ("board", HTTPStatus.FORBIDDEN, False),
        ("other staff", HTTPStatus.NOT_FOUND, False),
        ("other board", HTTPStatus.NOT_FOUND, False),
    ],
)
def test_who_may_issue_a_committee_paper(client, ccg, committee, media_root, who, get_status, issued):
    other = OrganisationFactory()
    user = {
        "staff": lambda: _member(ccg),
        "orgadmin": lambda: _member(ccg, Membership.Role.ORG_ADMIN),
        "admin": lambda: UserFactory(is_staff=True, is_superuser=True),
        "board": lambda: _member(ccg, Membership.Role.GOVERNING_BODY),
        "other staff": lambda: _member(other),
        "other board": lambda: _member(other, Membership.Role.GOVERNING_BODY),
    }[who]()
    client.force_login(user)
    assert client.get(_issue_url(committee)).status_code == get_status
    page = _text(client.get(committee.get_absolute_url()).content.decode())
    if get_status == HTTPStatus.NOT_FOUND:
        assert client.get(committee.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    else:
        assert ("issue a paper to the committee" in page) is issued
    response = _post(client, committee)
    assert CommitteePaper.objects.exists() is issued
    if issued:
        paper = CommitteePaper.objects.get()
        assert response.status_code == HTTPStatus.FOUND and response["Location"] == paper.get_absolute_url()
        assert paper.number == 1 and paper.issued_by == user
    else:
        assert response.status_code == get_status


@pytest.mark.parametrize(
    ("who", "status"),
    [("board", HTTPStatus.OK), ("staff", HTTPStatus.OK), ("other staff", HTTPStatus.NOT_FOUND)],
)
def test_who_may_read_a_committee_paper_and_its_pdf(client, ccg, committee, media_root, who, status):
    paper = _issue(_member(ccg), committee)
    reader = {
        "board": lambda: _member(ccg, Membership.Role.GOVERNING_BODY),
        "staff": lambda: _member(ccg),
        "other staff": lambda: _member(OrganisationFactory()),
    }[who]()
    client.force_login(reader)
    assert client.get(paper.get_absolute_url()).status_code == status
    assert client.get(_pdf_url(paper)).status_code == status
    if status == HTTPStatus.OK:
        page = _text(client.get(committee.get_absolute_url()).content.decode())
        assert "papers issued to the committee" in page and "paper 1" in page
        assert _developer_words(_text(client.get(paper.get_absolute_url()).content.decode())) == []


# --- What the paper holds, frozen ---------------------------------------------------------------


def test_the_paper_shows_what_the_committee_monitors_and_received_and_stays_frozen(
    client, ccg, committee, media_root
):
    staff = _member(ccg)
    client.force_login(staff)
    response = _post(client, committee)
    assert response.status_code == HTTPStatus.FOUND
    paper = CommitteePaper.objects.get()
    html = client.get(paper.get_absolute_url()).content.decode()
    text = _text(html)
    first, second = PrincipalRisk.objects.filter(committee=committee).order_by("risk__reference", "pk")
    assert first.risk.description.lower() in text and second.risk.description.lower() in text
    assert "inherent 20, current 12, target 4" in text
    assert "outside appetite (tolerance 9)" in text and "within appetite (tolerance 9)" in text
    assert "limited" in text and "significant" in text  # the assurances' levels
    assert "gap in control" in text and "actions:" in text
    assert "assurances the committee has received" in text
    assert "this is the committee's first paper" in text
    assert paper.principal_risk_count == 2 and paper.outside_appetite_count == 1
    pdf = _pdf(client, paper)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == paper.pdf_sha256
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Outside appetite" in pdf_text and "Assurances the committee has received" in pdf_text
    assert _developer_words(pdf_text) == []

    # Later edits: the live committee page moves, the paper and its PDF do not.
    Risk.objects.filter(pk=first.risk_id).update(residual_severity=1, residual_likelihood=1)
    Assurance.objects.filter(control__principal_risk=first).update(description="Rewritten afterwards")
    committee.name = "Renamed committee"
    committee.save()
    assert "rewritten afterwards" in _text(client.get(committee.get_absolute_url()).content.decode())
    again = client.get(paper.get_absolute_url()).content.decode()
    assert "rewritten afterwards" not in _text(again) and "current 12" in _text(again)
    assert "AUDIT COMMITTEE" in again
    assert _pdf(client, paper) == pdf


def test_the_database_refuses_to_change_or_delete_a_committee_paper(ccg, committee, media_root):
    paper = _issue(_member(ccg), committee)
    # Refused twice over: the app's role holds no UPDATE or DELETE on it (apps/core/dbroles.py:
    # a table with a Protect trigger is append-only), and the trigger refuses the owner too.
    for attempt in (
        lambda: CommitteePaper.objects.filter(pk=paper.pk).update(title="Changed"),
        lambda: CommitteePaper.objects.filter(pk=paper.pk).delete(),
        lambda: paper.save(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert CommitteePaper.objects.get().title == "Assurance to the Audit Committee"


# --- Changes since, corrections -----------------------------------------------------------------


def test_the_next_paper_says_what_changed_since_the_last(client, ccg, committee, media_root):
    staff = _member(ccg)
    first_paper = _issue(staff, committee)
    first, _second = PrincipalRisk.objects.filter(committee=committee).order_by("risk__reference", "pk")
    Risk.objects.filter(pk=first.risk_id).update(residual_severity=2, residual_likelihood=2)
    control = ControlFactory(principal_risk=first, description="Budget holders' sign-off")
    AssuranceFactory(
        control=control, description="External audit letter", level=Level.SIGNIFICANT, committee=committee
    )
    Assurance.objects.filter(control__principal_risk=first, level=Level.SIGNIFICANT).exclude(
        control=control
    ).update(level=Level.LIMITED)
    GapFactory(principal_risk=first, description="No review of the contract register")

    client.force_login(staff)
    assert (
        _post(client, committee, meeting=MEETING + datetime.timedelta(days=60)).status_code
        == HTTPStatus.FOUND
    )
    later = CommitteePaper.objects.get(number=2)
    assert later.previous == first_paper and later.supersedes is None
    changes = later.snapshot["changes"]
    assert changes["scores"][0]["moved"][0] == {"label": "current rating", "from": 12, "to": 4}
    assert not changes["scores"][0]["outside_appetite"]
    assert [a["description"] for a in changes["assurances_added"]] == ["External audit letter"]
    assert len(changes["assurances_downgraded"]) == 1
    assert [g["description"] for g in changes["gaps_opened"]] == ["No review of the contract register"]
    text = _text(client.get(later.get_absolute_url()).content.decode())
    assert "changes since the last paper" in text and "since paper 1" in text
    assert "current rating 12 to 4" in text and "now within appetite" in text
    assert "assurance added" in text and "assurance downgraded" in text
    assert "no review of the contract register" in text


def test_a_second_paper_for_the_same_meeting_is_a_correction_that_says_why(
    client, ccg, committee, media_root
):
    staff = _member(ccg)
    client.force_login(staff)
    first = CommitteePaper.objects.get(pk=_issue(staff, committee).pk)
    response = _post(client, committee)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "say what this correction corrects" in _text(response.content.decode())
    assert CommitteePaper.objects.count() == 1
    assert _post(client, committee, note="The gap's action was missing.").status_code == HTTPStatus.FOUND
    correction = CommitteePaper.objects.get(number=2)
    assert correction.supersedes == first and correction.previous is None
    assert correction.correction_note == "The gap's action was missing."
    old = _text(client.get(first.get_absolute_url()).content.decode())
    assert "superseded" in old and "the gap's action was missing." in old
    new = _text(client.get(correction.get_absolute_url()).content.decode())
    assert "corrects and supersedes paper 1" in new
    listing = _text(client.get(committee.get_absolute_url()).content.decode())
    assert "superseded by paper 2" in listing


def test_a_paper_issued_meanwhile_refuses_the_stale_form(client, ccg, committee, media_root):
    staff = _member(ccg)
    client.force_login(staff)
    _issue(staff, committee)
    response = _post(client, committee, meeting=MEETING + datetime.timedelta(days=30), latest=0)
    assert response.status_code == HTTPStatus.CONFLICT
    assert CommitteePaper.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [({"title": ""}, "title"), ({"meeting_date": "31/02/2026"}, "meeting_date"), ({"latest": "x"}, "latest")],
)
def test_bad_input_is_a_form_error_and_issues_nothing(client, ccg, committee, media_root, data, field):
    client.force_login(_member(ccg))
    form = {"meeting_date": MEETING.isoformat(), "title": "A title", "latest": 0, "correction_note": ""}
    response = client.post(_issue_url(committee), form | data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["form"].errors
    assert not CommitteePaper.objects.exists()


def test_the_paper_number_is_unique_per_committee(ccg, committee, media_root):
    paper = _issue(_member(ccg), committee)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteePaper.objects.create(
            **{
                f.attname: getattr(paper, f.attname)
                for f in CommitteePaper._meta.concrete_fields
                if f.attname != "id"
            }
        )


# --- A fixed number of queries ------------------------------------------------------------------


@pytest.mark.parametrize("page", ["committee", "paper", "issue"])
def test_committee_paper_pages_take_a_fixed_number_of_queries(
    client, media_root, django_assert_max_num_queries, page
):
    counts = []
    for risks, papers in ((1, 1), (6, 4)):
        organisation = OrganisationFactory()
        committee = CommitteeFactory(organisation=organisation)
        _framework(organisation, risks, committee=committee)
        staff = _member(organisation)
        for i in range(papers):
            last = _issue(staff, committee, meeting=MEETING + datetime.timedelta(days=i))
        client.force_login(staff)
        url = {
            "committee": committee.get_absolute_url(),
            "paper": last.get_absolute_url(),
            "issue": _issue_url(committee),
        }[page]
        with django_assert_max_num_queries(30) as captured:
            assert client.get(url).status_code == HTTPStatus.OK
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


# --- Outside appetite on the risk register ------------------------------------------------------


def _register(query=""):
    return reverse("risks:risk_list") + query


def test_the_register_flags_principal_risks_outside_appetite(client, ccg, committee):
    outside, within = PrincipalRisk.objects.filter(committee=committee).order_by("risk__reference", "pk")
    plain = RiskFactory(
        organisation=ccg, severity=5, likelihood=5, residual_severity=5, residual_likelihood=5
    )
    client.force_login(_member(ccg, Membership.Role.GOVERNING_BODY))
    html = client.get(_register()).content.decode()

    def row(risk_id):
        start = html.index(f'id="risk-{risk_id}"')
        return html[start : html.index("</tr>", start)]

    assert "Outside appetite" in row(outside.risk_id)
    assert "Outside appetite" not in row(within.risk_id)
    assert "Outside appetite" not in row(plain.pk)  # rated 25 but not in the framework
    assert "card-flag" in row(outside.risk_id)  # the phone card's flag
    ids = {
        int(r.split('"')[0])
        for r in client.get(_register("?outside_appetite=true")).content.decode().split('id="risk-')[1:]
        if r.split('"')[0].isdigit()
    }
    assert ids == {outside.risk_id}
    others = client.get(_register("?outside_appetite=false")).content.decode()
    assert f'id="risk-{within.risk_id}"' in others and f'id="risk-{outside.risk_id}"' not in others
    assert _developer_words(_text(html)) == []


def test_the_register_exports_say_outside_appetite(client, ccg, committee):
    outside, within = PrincipalRisk.objects.filter(committee=committee).order_by("risk__reference", "pk")
    client.force_login(_member(ccg))
    response = client.get(_register("?_export=csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    by_id = {int(r["ID"]): r["Outside appetite"] for r in rows}
    assert by_id == {outside.risk_id: "Yes", within.risk_id: "No"}
    response = client.get(_register("?_export=xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in sheet[1]]
    cells = {
        row[header.index("ID")].value: row[header.index("Outside appetite")].value
        for row in sheet.iter_rows(min_row=2)
    }
    assert cells == {outside.risk_id: "Yes", within.risk_id: "No"}


def test_the_register_keeps_a_fixed_number_of_queries_with_principal_risks(
    client, django_assert_max_num_queries
):
    counts = []
    for n in (2, 15):
        organisation = OrganisationFactory()
        _framework(organisation, n)
        client.force_login(_member(organisation))
        for query in ("", "?outside_appetite=true"):
            client.get(_register(query))
        with django_assert_max_num_queries(30) as captured:
            assert client.get(_register("?outside_appetite=true")).status_code == HTTPStatus.OK
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
