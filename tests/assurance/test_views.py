"""The framework's pages through the test client: what a board reads, the filters, the
permission matrix of the pages and forms, a fixed number of queries on data of two sizes, the
exports, the roll-up beneath a LAT, a committee's page and the dashboard's figures."""

import csv
import datetime
import io
import re
from http import HTTPStatus

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.assurance.models import Category, Control, Level, PrincipalRisk
from apps.assurance.tables import PrincipalRiskTable
from apps.organisations.models import Membership, Organisation
from tests.assurance.factories import (
    AssuranceFactory,
    CommitteeFactory,
    ControlFactory,
    GapFactory,
    PrincipalRiskFactory,
    RiskAppetiteFactory,
    StrategicObjectiveFactory,
)
from tests.browser.test_every_page import _developer_words, _text
from tests.factories import LatFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lat():
    return LatFactory()


@pytest.fixture
def ccg(lat):
    return OrganisationFactory(parent=lat)


def _member(organisation, role=Membership.Role.STAFF):
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


def _framework(organisation, n, *, committee=None):
    """``n`` principal risks of ``organisation`` under two objectives, each with two controls,
    an assurance per control, and a gap closed by an overdue deliverable: a framework with
    something in every part."""
    objectives = [StrategicObjectiveFactory(organisation=organisation) for _ in range(2)]
    committee = committee or CommitteeFactory(organisation=organisation)
    RiskAppetiteFactory(organisation=organisation, category=Category.FINANCE, tolerance=9)
    theme = ThemeFactory(plan=ODPlanFactory(organisation=organisation))
    late = DeliverableFactory(theme=theme, deadline=timezone.localdate() - datetime.timedelta(days=5))
    made = []
    for i in range(n):
        risk = RiskFactory(
            organisation=organisation,
            severity=5,
            likelihood=4,
            residual_severity=4,
            residual_likelihood=3 - i % 2,
        )
        principal = PrincipalRiskFactory(risk=risk, objectives=objectives[: 1 + i % 2], committee=committee)
        for level in (Level.SIGNIFICANT, Level.LIMITED if i % 2 else Level.REASONABLE):
            AssuranceFactory(
                control=ControlFactory(principal_risk=principal), level=level, committee=committee
            )
        gap = GapFactory(principal_risk=principal)
        gap.deliverables.set([late])
        made.append(principal)
    return made


def _url(organisation, query=""):
    return reverse("assurance:framework", args=[organisation.slug]) + query


def test_a_board_member_reads_the_framework_objective_by_objective(client, ccg):
    principals = _framework(ccg, 2)
    board = _member(ccg, Membership.Role.GOVERNING_BODY)
    client.force_login(board)
    response = client.get(_url(ccg))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    text = _text(html)
    for objective in ccg.strategic_objectives.all():
        assert objective.text.lower() in text
    first = principals[0]
    assert "inherent rating 5 x 4 = 20" in text
    assert "current rating 4 x 3 = 12" in text and "target rating 2 x 2 = 4" in text
    assert "outside appetite" in text  # 12 above the finance tolerance 9
    assert "limited assurance" in text and "gap in control" in text and "overdue" in text
    assert f'id="principal-risk-{first.pk}"' in html
    # A board member reads; the page offers nothing to change.
    assert "add a control" not in text and "edit targets" not in text
    assert _developer_words(text) == []


def test_staff_see_the_forms_links(client, ccg):
    _framework(ccg, 1)
    client.force_login(_member(ccg))
    text = _text(client.get(_url(ccg)).content.decode())
    assert "add a control" in text and "add a principal risk" in text and "set the appetite" in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?outside_appetite=true", {0}),  # current 12 > 9; the second is 8
        ("?outside_appetite=false", {1}),
        ("?weak_assurance=true", {1}),
        ("?overdue_actions=true", {0, 1}),
        ("?category=quality", set()),
    ],
)
def test_filters(client, ccg, query, expected):
    principals = _framework(ccg, 2)
    client.force_login(_member(ccg, Membership.Role.GOVERNING_BODY))
    html = client.get(_url(ccg, query)).content.decode()
    shown = {i for i, p in enumerate(principals) if f'id="principal-risk-{p.pk}"' in html}
    assert shown == expected


def test_the_committee_filter(client, ccg):
    principals = _framework(ccg, 2)
    other = CommitteeFactory(organisation=ccg)
    PrincipalRisk.objects.filter(pk=principals[1].pk).update(committee=other)
    client.force_login(_member(ccg))
    html = client.get(_url(ccg, f"?committee={other.pk}")).content.decode()
    assert f'id="principal-risk-{principals[1].pk}"' in html
    assert f'id="principal-risk-{principals[0].pk}"' not in html


@pytest.mark.parametrize("name", ["framework", "list", "detail", "committee"])
def test_query_count_is_flat(client, django_assert_max_num_queries, name):
    counts = []
    for n in (2, 12):
        organisation = OrganisationFactory()
        principals = _framework(organisation, n)
        user = _member(organisation)
        client.force_login(user)
        url = {
            "framework": _url(organisation),
            "list": reverse("assurance:principal_risk_list") + f"?within={organisation.pk}",
            "detail": principals[-1].get_absolute_url(),
            "committee": principals[-1].committee.get_absolute_url(),
        }[name]
        with django_assert_max_num_queries(30) as captured:
            response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def _rows_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_csv_export_of_the_framework(client, ccg):
    principals = _framework(ccg, 2)
    client.force_login(_member(ccg, Membership.Role.GOVERNING_BODY))
    response = client.get(_url(ccg, "?_export=csv&outside_appetite=true"))
    assert response.status_code == HTTPStatus.OK
    rows = _rows_csv(response)
    assert [int(r["ID"]) for r in rows] == [principals[0].pk]
    row = rows[0]
    assert row["Current rating"] == "12" and row["Target rating"] == "4" and row["Tolerance"] == "9"
    assert row["Outside appetite"] == "Yes" and row["Category"] == "Finance"
    assert "(Partly effective)" in row["Key controls"]
    assert "(Third line: independent, Significant)" in row["Assurances"]
    assert row["Gaps in control"].startswith("Gap ")


def test_xlsx_export_has_numbers_as_numbers(client, ccg):
    _framework(ccg, 1)
    PrincipalRisk.objects.update(target_date=datetime.date(2013, 3, 31))
    client.force_login(_member(ccg))
    response = client.get(_url(ccg, "?_export=xlsx"))
    assert response.status_code == HTTPStatus.OK
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["Current rating"] == 12 and isinstance(values["Inherent rating"], int)
    assert values["Target date"].date() == datetime.date(2013, 3, 31)


def test_the_roll_up_of_a_lat_lists_the_principal_risks_beneath_it(client, lat, ccg):
    beneath = _framework(ccg, 2)
    elsewhere = _framework(OrganisationFactory(), 1)
    board = _member(lat, Membership.Role.GOVERNING_BODY)
    client.force_login(board)
    html = client.get(_url(lat)).content.decode()
    for principal in beneath:
        assert f'id="principal-risk-{principal.pk}"' in html
    assert f'id="principal-risk-{elsewhere[0].pk}"' not in html


def test_another_organisations_framework_is_refused(client, ccg):
    _framework(ccg, 1)
    client.force_login(_member(OrganisationFactory()))
    assert client.get(_url(ccg)).status_code == HTTPStatus.FORBIDDEN
    principal = PrincipalRisk.objects.get(risk__organisation=ccg)
    assert client.get(principal.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_the_committee_page_lists_what_it_monitors_and_received(client, ccg):
    principals = _framework(ccg, 2)
    committee = principals[0].committee
    client.force_login(_member(ccg, Membership.Role.GOVERNING_BODY))
    text = _text(client.get(committee.get_absolute_url()).content.decode())
    for principal in principals:
        assert principal.risk.description.lower() in text
    for control in Control.objects.filter(principal_risk__in=principals):
        for assurance in control.assurances.all():
            assert assurance.description.lower() in text
    assert _developer_words(text) == []


# --- The forms: who may open and send them -----------------------------------------------------


def _form_urls(ccg):
    principal = _framework(ccg, 1)[0]
    control = principal.controls.first()
    return [
        reverse("assurance:objective_create", args=[ccg.slug]),
        reverse("assurance:principal_risk_create", args=[ccg.slug]),
        reverse("assurance:committee_create", args=[ccg.slug]),
        reverse("assurance:appetite_create", args=[ccg.slug]),
        reverse("assurance:principal_risk_edit", args=[principal.pk]),
        reverse("assurance:control_create", args=[principal.pk]),
        reverse("assurance:gap_create", args=[principal.pk]),
        reverse("assurance:control_edit", args=[control.pk]),
        reverse("assurance:assurance_create", args=[control.pk]),
        reverse("assurance:assurance_edit", args=[control.assurances.first().pk]),
        reverse("assurance:gap_edit", args=[principal.gaps.first().pk]),
        reverse("assurance:committee_edit", args=[principal.committee.pk]),
        reverse("assurance:appetite_edit", args=[ccg.risk_appetites.first().pk]),
        reverse("assurance:objective_edit", args=[ccg.strategic_objectives.first().pk]),
    ]


@pytest.mark.parametrize(
    ("role", "where", "status"),
    [
        ("staff", "own", HTTPStatus.OK),
        ("orgadmin", "own", HTTPStatus.OK),
        ("board", "own", HTTPStatus.FORBIDDEN),
        ("staff", "other", {HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND}),
        ("admin", "", HTTPStatus.OK),
    ],
)
def test_forms_permission_matrix(client, ccg, role, where, status):
    urls = _form_urls(ccg)
    if role == "admin":
        user = UserFactory(is_superuser=True, is_staff=True)
    else:
        roles = {"staff": Membership.Role.STAFF, "orgadmin": Membership.Role.ORG_ADMIN}
        at = ccg if where == "own" else OrganisationFactory()
        user = _member(at, roles.get(role, Membership.Role.GOVERNING_BODY))
    client.force_login(user)
    for url in urls:
        got = client.get(url).status_code
        assert got in (status if isinstance(status, set) else {status}), url
        if role != "admin" and got != HTTPStatus.OK:
            assert client.post(url, {"description": "x", "note": "x"}).status_code == got, url


def test_anonymous_users_are_sent_to_sign_in(client, ccg):
    for url in _form_urls(ccg)[:3] + [_url(ccg)]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response["Location"]


def test_staff_add_a_control_and_an_assurance(client, ccg):
    principal = _framework(ccg, 1)[0]
    committee = principal.committee
    client.force_login(_member(ccg))
    response = client.post(
        reverse("assurance:control_create", args=[principal.pk]),
        {
            "description": "Weekly cash report to the Executive",
            "owner": "CFO",
            "effectiveness": "effective",
            "note": "",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    control = Control.objects.get(description="Weekly cash report to the Executive")
    assert control.principal_risk == principal
    response = client.post(
        reverse("assurance:assurance_create", args=[control.pk]),
        {
            "description": "Internal audit of cash management",
            "line": "independent",
            "level": "reasonable",
            "received_on": "2013-02-14",
            "committee": committee.pk,
            "note": "",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assurance = control.assurances.get()
    assert assurance.received_on == datetime.date(2013, 2, 14) and assurance.committee == committee


def test_a_form_with_errors_answers_400_and_saves_nothing(client, ccg):
    principal = _framework(ccg, 1)[0]
    client.force_login(_member(ccg))
    before = Control.objects.count()
    response = client.post(reverse("assurance:control_create", args=[principal.pk]), {"description": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    text = _text(response.content.decode())
    assert "enter the control: what is in place" in text
    assert Control.objects.count() == before
    # Another organisation's committee is refused beside its field.
    control = principal.controls.first()
    response = client.post(
        reverse("assurance:assurance_create", args=[control.pk]),
        {
            "description": "Audit",
            "line": "independent",
            "level": "limited",
            "committee": CommitteeFactory().pk,
        },
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_staff_make_a_risk_a_principal_risk(client, ccg):
    objective = StrategicObjectiveFactory(organisation=ccg)
    risk = RiskFactory(organisation=ccg, severity=4, likelihood=4, residual_severity=3, residual_likelihood=3)
    client.force_login(_member(ccg))
    url = reverse("assurance:principal_risk_create", args=[ccg.slug])
    assert risk.description in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "risk": risk.pk,
            "objectives": [objective.pk],
            "target_severity": "2",
            "target_likelihood": "3",
            "target_date": "2013-03-31",
            "category": "quality",
            "tolerance": "",
            "committee": "",
            "note": "Agreed at the board.",
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    principal = PrincipalRisk.objects.get(risk=risk)
    assert principal.target == 6 and list(principal.objectives.all()) == [objective]


# --- The dashboard's figures ------------------------------------------------------------------


def test_the_dashboard_counts_the_framework_and_links_to_its_list(client, lat, ccg):
    _framework(ccg, 2)
    client.force_login(_member(lat, Membership.Role.GOVERNING_BODY))
    for organisation in (ccg, lat):
        html = client.get(reverse("dashboards:organisation", args=[organisation.slug])).content.decode()
        for key, expected in (("principal-risks", 2), ("outside-appetite", 1), ("weak-assurance", 1)):
            marker = f'id="stat-{key}" data-count="'
            assert marker in html, key
            count = int(html.split(marker, 1)[1].split('"', 1)[0])
            assert count == expected, key
            link = html[: html.index(marker)].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
            listed = client.get(link).content.decode()
            assert len(re.findall(r'id="principal-risk-\d+"', listed)) == expected, (key, link)


def test_the_seed_framework_shows_darlingtons_nine_risks(client):
    darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    text = _text(client.get(_url(darlington)).content.decode())
    assert "9 principal risks match" in text
    assert "no effective and robust governance and performance arrangements" in text


def test_the_risk_page_flags_a_principal_risk_outside_appetite(client, ccg):
    outside, within = _framework(ccg, 2)
    client.force_login(_member(ccg, Membership.Role.GOVERNING_BODY))
    text = _text(client.get(outside.risk.get_absolute_url()).content.decode())
    assert "a principal risk of the board assurance framework outside appetite" in text
    assert "current rating 12, tolerance 9" in text
    text = _text(client.get(within.risk.get_absolute_url()).content.decode())
    assert "within appetite (tolerance 9)" in text
    plain = RiskFactory(organisation=ccg)
    assert "board assurance framework" not in _text(client.get(plain.get_absolute_url()).content.decode())


@pytest.mark.owner_role  # back-dates audit events (pgtrigger.ignore is the owner's alone)
def test_the_framework_as_at_a_date(client, ccg):
    principal = _framework(ccg, 1)[0]
    control = principal.controls.order_by("pk").first()
    assurance = control.assurances.order_by("pk").first()
    staff = _member(ccg)
    # A day's history: as it stood yesterday, then today's changes.
    import pgtrigger
    from django.db.models import F

    from apps.assurance import services
    from apps.assurance.models import Assurance, RiskAppetite

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    # The test runs in one transaction, where every write has the same moment: what was written
    # so far is moved back a day.
    for model in (PrincipalRisk, Control, Assurance, RiskAppetite, type(principal.risk)):
        events = model.pgh_event_model
        with pgtrigger.ignore(f"{events._meta.label}:append_only"):
            events.objects.update(pgh_created_at=F("pgh_created_at") - datetime.timedelta(days=1))
    services.assurance_edit(
        pk=assurance.pk,
        acting_user=staff,
        expected_version=assurance.version,
        changes={"level": Level.NONE, "description": "Withdrawn audit"},
    )
    services.control_edit.create(
        acting_user=staff,
        values={"principal_risk": principal, "description": "Added today", "effectiveness": "effective"},
    )
    client.force_login(_member(ccg, Membership.Role.GOVERNING_BODY))
    then = _text(client.get(_url(ccg, f"?as_at={yesterday.isoformat()}")).content.decode())
    assert "as at" in then and "current 12" in then and "outside appetite" in then
    assert assurance.description.lower() in then and "withdrawn audit" not in then
    assert "added today" not in then
    now = _text(client.get(_url(ccg)).content.decode())
    assert "withdrawn audit" in now and "added today" in now
    assert _developer_words(then) == []
    assert client.get(_url(ccg, "?as_at=31/02/2013")).status_code == HTTPStatus.BAD_REQUEST


def test_staff_edit_the_targets_and_a_stale_form_is_refused_with_409(client, ccg):
    principal = _framework(ccg, 1)[0]
    objective = principal.objectives.first()
    client.force_login(_member(ccg))
    url = reverse("assurance:principal_risk_edit", args=[principal.pk])
    data = {
        "objectives": [objective.pk],
        "target_severity": "3",
        "target_likelihood": "2",
        "target_date": "2014-03-31",
        "category": "finance",
        "tolerance": "10",
        "committee": principal.committee.pk,
        "note": "Board agreed a new target.",
        "version": principal.version,
    }
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND
    principal.refresh_from_db()
    assert (principal.target, principal.tolerance, principal.target_date) == (
        6,
        10,
        datetime.date(2014, 3, 31),
    )
    response = client.post(url, {**data, "target_severity": "1"})  # the version it was opened at
    assert response.status_code == HTTPStatus.CONFLICT
    principal.refresh_from_db()
    assert principal.target_severity == 3


@pytest.mark.parametrize("column", list(PrincipalRiskTable.base_columns))
def test_every_column_of_the_principal_risks_sorts_both_ways(client, ccg, column):
    _framework(ccg, 3)
    client.force_login(_member(ccg))
    for sort in (column, f"-{column}"):
        response = client.get(reverse("assurance:principal_risk_list") + f"?within={ccg.pk}&sort={sort}")
        assert response.status_code == HTTPStatus.OK, sort
        assert len(re.findall(r'id="principal-risk-\d+"', response.content.decode())) == 3, sort


def test_a_write_to_the_framework_refreshes_the_cached_dashboard(client, lat, ccg):
    principals = _framework(ccg, 2)
    staff = _member(ccg)
    client.force_login(_member(lat, Membership.Role.GOVERNING_BODY))
    url = reverse("dashboards:organisation", args=[lat.slug])

    def outside():
        html = client.get(url).content.decode()
        return int(html.split('id="stat-outside-appetite" data-count="', 1)[1].split('"', 1)[0])

    assert outside() == 1
    from apps.assurance import services

    principal = principals[1]  # current 8: within the finance tolerance 9
    services.principal_risk_edit(
        pk=principal.pk, acting_user=staff, expected_version=principal.version, changes={"tolerance": 6}
    )
    assert outside() == 2  # the LAT's cached dashboard was drawn afresh


def test_a_risk_under_two_objectives_keeps_every_id_on_the_page_unique(client, ccg):
    """The second principal risk threatens both objectives and is shown under both; its anchors
    (the risk, its controls, assurances and gaps) are one element's each, the first the link
    target of its address."""
    principals = _framework(ccg, 2)
    client.force_login(_member(ccg))
    html = client.get(_url(ccg)).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    twice = principals[1]
    assert html.count(f"{twice.risk.reference} {twice.risk.description}") >= 2
    control = twice.controls.first()
    assert f'id="control-{control.pk}"' in html
    assert control.get_absolute_url().endswith(f"#control-{control.pk}")
