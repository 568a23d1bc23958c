"""'Changes since the paper of <date>': computed from two snapshots (or a snapshot and the data
as it stands), never typed, on generated data with every kind of change."""

import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.plans.models import AuthorisationDomain, Deliverable, SelfAssessment, SelfAssessmentScore
from apps.reports import paper as papers
from apps.reports import selectors
from apps.risks import services as risk_services
from apps.risks.models import Risk
from tests.plans.factories import DeliverableFactory
from tests.reports.helpers import issue, move_meeting, update
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


def review(risk, user, note="Reviewed.", **changes):
    risk.refresh_from_db()
    return risk_services.risk_review(
        risk_id=risk.pk, acting_user=user, expected_version=risk.version, changes=changes, note=note
    )


@pytest.fixture
def history(small_plan, dorset, staff_dorset):
    """The small plan with risks and a self-assessment, paper 1 issued, then a change of every
    kind the section reports, each made the way people make it (the services; the admin for
    what only the admin edits)."""
    theme = small_plan.themes.get(number=2)
    doomed = DeliverableFactory(theme=theme, position=3, title="Dropped from the plan")
    risks = {
        name: RiskFactory(organisation=dorset, reference=name, description=f"Risk {name}", **scores)
        for name, scores in {
            "UP": {"severity": 2, "likelihood": 3, "residual_severity": 1, "residual_likelihood": 2},
            "DOWN": {"severity": 4, "likelihood": 4, "residual_severity": 3, "residual_likelihood": 3},
            "SHUT": {"severity": 3, "likelihood": 3, "residual_severity": 1, "residual_likelihood": 1},
            "BACK": {"severity": 3, "likelihood": 2, "residual_severity": 1, "residual_likelihood": 1},
            "GONE": {"severity": 2, "likelihood": 2, "residual_severity": 1, "residual_likelihood": 1},
        }.items()
    }
    review(risks["BACK"], staff_dorset, status=Risk.Status.CLOSED)
    domains = {d.number: d for d in AuthorisationDomain.objects.all()}
    assessment = SelfAssessment.objects.create(organisation=dorset, assessed_label="2013")
    scores = {
        n: SelfAssessmentScore.objects.create(assessment=assessment, domain=domains[n], score_percent=value)
        for n, value in ((1, 45), (2, 70), (3, 50))
    }

    from django.test import Client

    client = Client()
    client.force_login(staff_dorset)
    first = issue(client, small_plan)
    move_meeting(small_plan, staff_dorset, "2026-03-18")

    d = {x.title: x for x in Deliverable.objects.filter(theme__plan=small_plan)}
    today = timezone.localdate()
    update(d["Overdue one"], staff_dorset, "Moved out by the Executive.", status="under_development")
    update(d["Overdue one"], staff_dorset, deadline=today + datetime.timedelta(days=60))
    update(d["Later one"], staff_dorset, "Signed off.", status="delivered")
    update(d["Not started one"], staff_dorset, deadline=today - datetime.timedelta(days=1))
    added = DeliverableFactory(theme=theme, position=4, title="Added after the paper")
    doomed_id = doomed.pk
    doomed.delete()
    review(risks["UP"], staff_dorset, severity=4, likelihood=5, residual_severity=2, residual_likelihood=3)
    review(risks["DOWN"], staff_dorset, severity=3, likelihood=3, residual_severity=1, residual_likelihood=2)
    review(risks["SHUT"], staff_dorset, status=Risk.Status.CLOSED)
    review(risks["BACK"], staff_dorset, status=Risk.Status.OPEN)
    risks["GONE"].delete()
    risks["NEW"] = RiskFactory(
        organisation=dorset,
        reference="NEW",
        description="Risk NEW",
        severity=5,
        likelihood=4,
        residual_severity=2,
        residual_likelihood=2,
    )
    SelfAssessmentScore.objects.filter(pk=scores[1].pk).update(score_percent=62)  # as the admin would
    SelfAssessmentScore.objects.filter(pk=scores[2].pk).update(score_percent=55)
    SelfAssessmentScore.objects.create(assessment=assessment, domain=domains[4], score_percent=30)
    return {
        "first": first,
        "deliverables": d,
        "added": added,
        "doomed_id": doomed_id,
        "risks": risks,
        "client": client,
    }


def check_every_change(changes, history, staff_dorset):
    d, risks = history["deliverables"], history["risks"]
    status = {c["id"]: c for c in changes["status_changes"]}
    assert set(status) == {d["Overdue one"].pk, d["Later one"].pk}
    moved_out = status[d["Overdue one"].pk]
    assert (moved_out["from_label"], moved_out["to_label"]) == ("In progress", "Under development")
    (step,) = moved_out["updates"]
    assert (step["by"], step["note"], step["from"], step["to"]) == (
        staff_dorset.get_full_name(),
        "Moved out by the Executive.",
        "in_progress",
        "under_development",
    )
    assert [c["id"] for c in changes["delivered"]] == [d["Later one"].pk]
    assert [c["id"] for c in changes["newly_overdue"]] == [d["Not started one"].pk]
    moved = {c["id"]: c["direction"] for c in changes["deadline_moved"]}
    assert moved == {d["Overdue one"].pk: "later", d["Not started one"].pk: "set"}
    assert [c["id"] for c in changes["added"]] == [history["added"].pk]
    assert [c["id"] for c in changes["removed"]] == [history["doomed_id"]]
    ratings = {c["reference"]: c for c in changes["risk_ratings"]}
    assert set(ratings) == {"UP", "DOWN"}
    assert ratings["UP"]["inherent"] == {
        "from": 6,
        "to": 20,
        "from_scores": "2 x 3",
        "to_scores": "4 x 5",
        "from_band": "moderate",
        "to_band": "extreme",
        "direction": "up",
    }
    assert (ratings["UP"]["residual"]["from"], ratings["UP"]["residual"]["to"]) == (2, 6)
    assert (ratings["DOWN"]["inherent"]["direction"], ratings["DOWN"]["residual"]["direction"]) == (
        "down",
        "down",
    )
    assert [c["reference"] for c in changes["new_risks"]] == ["NEW"]
    assert {(c["reference"], c["removed"]) for c in changes["closed_risks"]} == {
        ("SHUT", False),
        ("GONE", True),
    }
    assert [c["reference"] for c in changes["reopened_risks"]] == ["BACK"]
    scores = {c["domain"]: (c["from"], c["to"], c["direction"]) for c in changes["scores"]}
    assert scores == {1: ("45.00", "62.00", "up"), 2: ("70.00", "55.00", "down"), 4: (None, "30.00", "new")}
    assert changes["assessment"] is None  # the same assessment, rescored
    assert changes["count"] == 2 + 1 + 1 + 2 + 1 + 1 + 2 + 1 + 2 + 1 + 3
    assert risks  # every risk of the fixture was looked at


def test_the_live_report_shows_every_kind_of_change_since_the_paper(
    client, history, board_dorset, staff_dorset
):
    client.force_login(board_dorset)
    plan_id = history["first"].plan_id
    response = client.get(reverse("reports:board_report", args=[plan_id]))
    # The page draws what the report's one selector reads (kept as HTML until the data change).
    read = selectors.board_report(plan_id=plan_id, user=board_dorset)
    check_every_change(read["snapshot"]["changes"], history, staff_dorset)
    html = response.content.decode()
    section = html[html.index('id="changes-since"') : html.index('id="summary-heading"')]
    assert "Changes since the paper of 14 January 2026" in section
    assert "Compared with paper 1" in section and "17 changes" in section
    for anchor in (
        "changes-status-table",
        "changes-delivered-list",
        "changes-overdue-list",
        "changes-deadline-table",
        "changes-added-list",
        "changes-rating-table",
        "changes-risk-list",
        "changes-score-table",
    ):
        assert f'id="{anchor}"' in section, anchor
    assert (
        "In progress to Under development, by" in section and "<q>Moved out by the Executive.</q>" in section
    )
    up = section[section.index(f'data-risk="{history["risks"]["UP"].pk}"') :]
    up = up[: up.index("</tr>")]
    assert '<span aria-hidden="true">▲</span> Up from 6 (Moderate) to 20 (Extreme)' in up
    assert "Up from 2 (Low) to 6 (Moderate)" in up
    down = section[section.index(f'data-risk="{history["risks"]["DOWN"].pk}"') :]
    assert (
        '<span aria-hidden="true">▼</span> Down from 16 (Extreme) to 9 (High)' in down[: down.index("</tr>")]
    )
    assert "Removed from the register: GONE" in section and "Reopened: BACK" in section
    assert "New: NEW Risk NEW" in section and "Closed: SHUT" in section


def test_the_next_paper_freezes_the_same_changes_and_the_compare_page_shows_them(
    history, staff_dorset, board_dorset, client
):
    second = issue(history["client"], history["first"].plan)
    frozen = second.snapshot["changes"]
    check_every_change(frozen, history, staff_dorset)
    assert frozen["since"]["id"] == history["first"].pk and second.previous == history["first"]
    assert (
        'id="changes-rating-table"' in second.html
        and "Changes since the paper of 14 January 2026" in second.html
    )
    client.force_login(board_dorset)
    compare = client.get(reverse("reports:paper_compare", args=[second.pk, history["first"].pk]))
    assert compare.status_code == HTTPStatus.OK
    assert compare.context["earlier"] == history["first"]  # either order: earlier first
    check_every_change(
        {**compare.context["changes"], "status_changes": frozen["status_changes"]}, history, staff_dorset
    )
    assert [c["id"] for c in compare.context["changes"]["status_changes"]] == [
        c["id"] for c in frozen["status_changes"]
    ]
    rows = {row["label"]: row for row in compare.context["rows"]}
    assert (rows["Delivered"]["before"], rows["Delivered"]["after"], rows["Delivered"]["difference"]) == (
        1,
        2,
        1,
    )
    assert rows["Extreme risks (inherent)"]["after"] - rows["Extreme risks (inherent)"]["before"] == 1
    html = compare.content.decode()
    assert "Paper 1 and paper 2 side by side" in html and 'id="changes-status-table"' in html
    # Nothing changed since paper 2: the live report says so.
    live = client.get(reverse("reports:board_report", args=[second.plan_id])).content.decode()
    assert 'id="no-changes"' in live and "Changes since the paper of 18 March 2026" in live


def test_a_deadline_passing_alone_makes_a_deliverable_newly_overdue(small_plan, staff_dorset):
    """Overdue is judged on each paper's own day: the same data read 100 days later has the
    deliverable due in 90 days newly overdue, with no deadline moved."""
    from apps.plans import selectors as plan_selectors

    plan = plan_selectors.plan_detail(plan_id=small_plan.pk, user=staff_dorset).plan
    now = timezone.now()
    before = selectors.paper_data(plan=plan, read_at=now)
    after = selectors.paper_data(plan=plan, read_at=now + datetime.timedelta(days=100))
    changes = papers.compare(before, after)
    assert [c["title"] for c in changes["newly_overdue"]] == ["Later one"]
    assert changes["deadline_moved"] == [] and changes["count"] == 1
    assert papers.compare(before, before)["count"] == 0


def test_no_paper_yet_says_there_is_nothing_to_compare(client, board_dorset, small_plan):
    client.force_login(board_dorset)
    html = client.get(reverse("reports:board_report", args=[small_plan.pk])).content.decode()
    assert 'id="no-earlier-paper"' in html and "No paper of this plan has been issued" in html
