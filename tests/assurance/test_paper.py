"""The Board Assurance Framework in the board report and the issued papers: frozen in the
paper, and what changed since the last paper (scores moved, assurances added or downgraded,
gaps opened or closed); the framework page's trend since the last paper."""

import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.assurance import services
from apps.assurance.models import Level, Line
from apps.reports.models import IssuedPaper
from apps.risks.services import risk_review
from tests.assurance.factories import (
    AssuranceFactory,
    ControlFactory,
    GapFactory,
    PrincipalRiskFactory,
    RiskAppetiteFactory,
    StrategicObjectiveFactory,
)
from tests.browser.test_every_page import _text
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
from tests.reports.helpers import first_cover_sheet, issue, move_meeting
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(dorset, staff_dorset):
    """A small plan of Dorset with a cover sheet, and a principal risk (current 4 x 3 = 12,
    finance tolerance 9) with a control, a reasonable assurance and an open gap."""
    plan = ODPlanFactory(organisation=dorset, title="Small OD plan")
    DeliverableFactory(theme=ThemeFactory(plan=plan, number=1), position=1, title="An action")
    first_cover_sheet(plan, staff_dorset, title="Small OD plan update", meeting_date="2026-01-14")
    RiskAppetiteFactory(organisation=dorset, tolerance=9)
    principal = PrincipalRiskFactory(
        risk=RiskFactory(
            organisation=dorset,
            reference="BAF1",
            severity=4,
            likelihood=4,
            residual_severity=4,
            residual_likelihood=3,
        ),
        objectives=[StrategicObjectiveFactory(organisation=dorset, text="Stay in financial balance")],
    )
    control = ControlFactory(principal_risk=principal, description="Monthly finance report")
    assurance = AssuranceFactory(
        control=control, description="Internal audit of budgets", level=Level.REASONABLE
    )
    gap = GapFactory(principal_risk=principal, description="No audit of the ledger")
    return plan, principal, control, assurance, gap


def test_the_paper_freezes_the_framework_and_says_what_changed(client, staff_dorset, setting):
    plan, principal, control, assurance, gap = setting
    client.force_login(staff_dorset)
    first = issue(client, plan)
    assert first.snapshot["baf"][0]["current"] == 12
    assert "Internal audit of budgets: Reasonable" in first.html and "Outside appetite" in first.html

    risk = principal.risk
    risk.refresh_from_db()
    risk_review(
        risk_id=risk.pk,
        acting_user=staff_dorset,
        expected_version=risk.version,
        changes={"residual_likelihood": 2},
        note="Better controls.",
    )
    assurance.refresh_from_db()
    services.assurance_edit(
        pk=assurance.pk,
        acting_user=staff_dorset,
        expected_version=assurance.version,
        changes={"level": Level.LIMITED},
    )
    services.assurance_edit.create(
        acting_user=staff_dorset,
        values={
            "control": control,
            "description": "External audit opinion",
            "line": Line.INDEPENDENT,
            "level": "significant",
        },
    )
    gap.refresh_from_db()
    services.gap_edit(
        pk=gap.pk,
        acting_user=staff_dorset,
        expected_version=gap.version,
        changes={"closed_on": datetime.date(2026, 2, 1)},
    )
    services.gap_edit.create(
        acting_user=staff_dorset,
        values={"principal_risk": principal, "kind": "assurance", "description": "No review of the forecast"},
    )

    # The live report shows the framework as it is now, and what changed since the paper.
    live = _text(client.get(reverse("reports:board_report", args=[plan.pk])).content.decode())
    assert "appendix 4: board assurance framework" in live
    assert "current rating 12 to 8" in live and "now within appetite" in live
    assert "assurance downgraded (baf1): internal audit of budgets, from reasonable to limited" in live
    assert "assurance added (baf1): external audit opinion, significant" in live
    assert "gap in assurance opened (baf1): no review of the forecast" in live
    assert "gap in control closed (baf1): no audit of the ledger" in live

    move_meeting(plan, staff_dorset, "2026-03-11")
    second = issue(client, plan)
    changes = second.snapshot["changes"]["baf"]
    assert [s["moved"] for s in changes["scores"]] == [[{"label": "current rating", "from": 12, "to": 8}]]
    assert [a["description"] for a in changes["assurances_added"]] == ["External audit opinion"]
    assert [(a["from_label"], a["level_label"]) for a in changes["assurances_downgraded"]] == [
        ("Reasonable", "Limited")
    ]
    assert [g["description"] for g in changes["gaps_opened"]] == ["No review of the forecast"]
    assert [g["description"] for g in changes["gaps_closed"]] == ["No audit of the ledger"]
    assert changes["count"] == 5

    # The first paper is frozen: it still says what was true when it was issued.
    first = IssuedPaper.objects.get(pk=first.pk)
    assert "Internal audit of budgets: Reasonable" in first.html
    assert client.get(first.get_absolute_url()).status_code == HTTPStatus.OK
    assert first.snapshot["baf"][0]["current"] == 12


def test_the_framework_page_shows_the_trend_since_the_last_paper(client, staff_dorset, dorset, setting):
    plan, principal, *_ = setting
    url = reverse("assurance:framework", args=[dorset.slug])
    client.force_login(staff_dorset)
    assert "since the last paper" not in _text(client.get(url).content.decode())
    issue(client, plan)
    assert "no change since the last paper" in _text(client.get(url).content.decode())
    risk = principal.risk
    risk.refresh_from_db()
    risk_review(
        risk_id=risk.pk,
        acting_user=staff_dorset,
        expected_version=risk.version,
        changes={"residual_likelihood": 4},
        note="Worse.",
    )
    assert "up since the last paper" in _text(client.get(url).content.decode())
