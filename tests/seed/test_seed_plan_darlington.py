"""The Darlington OD plan seed (fixtures/04_plan_darlington.json) against its source:
NHS Darlington CCG Organisational Development Plan Phase 2.2 Transition, version 1.5, June 2012."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest

from apps.plans.models import Deliverable, ODPlan, SelfAssessment, Theme

pytestmark = pytest.mark.django_db

PLAN_PK = 2


def action(theme_number, position):
    return Deliverable.objects.get(theme__plan_id=PLAN_PK, theme__number=theme_number, position=position)


def domain_numbers(deliverable):
    return sorted(deliverable.domains.values_list("number", flat=True))


# (priority area, position): (title starts with, source status, deadline text, domains) for all 41 actions
ACTIONS = {
    (1, 1): ("Embed the vision, purpose and required behaviours", "In progress", "Nov 2012", [1, 4, 6]),
    (1, 2): ("Define the roles of member representatives", "Complete", "June 2012", [1, 4, 6]),
    (1, 3): ("Shift the mind-set of the member practices", "In progress", "Dec 2012", [1, 4, 6]),
    (1, 4): ("Ensure all home team CCG staff", "In progress", "October 2012", [1, 4, 6]),
    (1, 5): ("Ensure all clinical CCG leads have agreed role outline", "In progress", "Sept 2012", [1, 4, 6]),
    (1, 6): ("Build upon the “one big practice” approach", "In progress", "ongoing", [1, 4, 6]),
    (2, 1): ("Develop robust and transparent recruitment", "In progress", "Sept 2012", [1, 6]),
    (2, 2): ("Identify gaps in current leadership capacity", "Not started", "Dec 2012", [1, 6]),
    (2, 3): ("Access Training and development to meet needs of leaders", "In progress", "Dec 2012", [1, 6]),
    (2, 4): ("Agree Executive member portfolios", "In progress", "Oct 2012", [1, 6]),
    (2, 5): ("Ensure robust contingency arrangements", "Not started", "Nov 2012", [1, 6]),
    (2, 6): ("Succession planning for all senior leadership roles", "In progress", "Nov 2012", [1, 6]),
    (2, 7): ("Leadership of the annual commissioning cycle", "In progress", "Dec 2012", [1, 2, 3, 4, 5, 6]),
    (3, 1): ("Appoint capable leaders of all kinds", "In progress", "Oct 2012", [1, 4, 6]),
    (3, 2): ("Ensure good governance arrangements are in place", "In progress", "Oct 2012", [4]),
    (3, 3): ("Governing body development programme", "In progress", "Mar 2013", [1, 4, 6]),
    (3, 4): ("Governing Body committees to be determined", "In progress", "Sept 2012", [1, 4]),
    (3, 5): ("Scope the selection and appointment", "In progress", "July 2012", [1, 4, 6]),
    (3, 6): (
        "Develop and agree a constitution",
        "In progress",
        "First draft end May 2012 Final draft end October 2012",
        [4],
    ),
    (3, 7): ("Ensure all core CCG staff", "", "", []),
    (3, 8): ("Ensure all clinical CCG leads have agreed work objectives", "", "", []),
    (3, 9): ("Single governance structure", "Completed", "July 2012", [1, 4]),
    (3, 10): ("Develop financial acumen", "In progress", "Sept 2012", [4]),
    (4, 1): ("Ensure wider CCG members have an appreciation", "Complete", "July 2012", [1, 4, 6]),
    (4, 2): ("Ensure CCG staff have the right skills", "Not started", "Dec 2012", [1, 4, 6]),
    (4, 3): ("Embed a programme management approach", "Not started", "Dec 2012", [1, 3, 5, 6]),
    (4, 4): ("Develop service redesign skills", "In progress", "Dec 2012", [1, 3, 5, 6]),
    (4, 5): ("Develop mandatory training programme", "In progress", "Mar 2013", [1, 4, 6]),
    (4, 6): ("Competent in leading the commissioning", "In progress", "December 2012", [1, 4, 6]),
    (4, 7): ("Effective and meaningful engagement", "In progress", "Dec 2012", [2]),
    (5, 1): ("Develop relationship management skills", "In progress", "Mar 2013", [1, 2, 3, 4, 5, 6]),
    (5, 2): ("Development of information utilisation", "In progress", "ongoing", [4]),
    (5, 3): ("Effective commissioning Support arrangements", "In progress", "Dec 2012", [1, 2, 3, 4, 5, 6]),
    (6, 1): (
        "Increase capacity and capability as commissioners",
        "In progress",
        "Dec 2012",
        [1, 2, 3, 4, 5, 6],
    ),
    (6, 2): ("Develop a mind-set of continuous improvement", "Not started", "Mar 2013", [1, 2, 3, 4, 5, 6]),
    (6, 3): ("Integration of the GP productive practice", "Proposed", "Dec 2013", [1, 2, 3, 4, 5, 6]),
    (6, 4): ("Develop workforce capability to respond", "Under development", "Oct 2012", [1, 2, 3, 4, 5, 6]),
    (6, 5): (
        "Ensure that lessons learnt and good practice",
        "Under development",
        "Oct 2012",
        [1, 2, 3, 4, 5, 6],
    ),
    (7, 1): ("Develop relationship management skills", "In progress", "Mar 2013", [1, 2, 3, 4, 5, 6]),
    (7, 2): ("Use patient concerns and negative experiences", "In progress", "Mar 2013", [2, 4]),
    (7, 3): ("Capture the voice of the patient", "In progress", "Dec 2012", [3]),
}

STATUS_MAP = {
    "Complete": "delivered",
    "Completed": "delivered",
    "In progress": "in_progress",
    "Not started": "not_started",
    "Proposed": "proposed",
    "Under development": "under_development",
    "": "not_started",
}


# ------------------------------------------------------------------ the plan


def test_plan_fields():
    plan = ODPlan.objects.get(pk=PLAN_PK)
    assert plan.organisation.slug == "nhs-darlington-ccg"
    assert plan.title == "Organisational Development Plan Phase 2.2 Transition"
    assert plan.version == "1.5"
    assert plan.author == "Jackie Kay"
    assert plan.period_label == "June 2012 - December 2012"
    assert plan.period_start == datetime.date(2012, 6, 1)
    assert plan.period_end == datetime.date(2012, 12, 31)
    assert plan.approved_on is None
    assert plan.budget_amount == Decimal("90000")
    assert plan.budget_period == "2012/13"
    assert plan.budget_note == "The CCG has identified £90,000 in 2012/13 to resource this Development Plan."
    assert "Version 1.5" in plan.source_document and "June 2012" in plan.source_document


def test_plan_vision_aims_values():
    plan = ODPlan.objects.get(pk=PLAN_PK)
    assert plan.vision.splitlines() == [
        "“Working together to improve the health and well-being of Darlington”",
        "For the population of Darlington this means:",
        "• health services which are safe and of the highest quality",
        "• best possible health outcomes",
        "• joined up services which benefit patients and the public and give best value for money",
    ]
    assert plan.strategic_aims.splitlines() == [
        "Improve the health status of the people of Darlington",
        "Address the needs of the changing age profile of the population of Darlington",
        "To take services closer to home for the people of Darlington",
        "To manage resources effectively and responsibly",
    ]
    values = plan.values.splitlines()
    assert values[:6] == [
        "Open, transparent and inclusive relationships between practices, practitioners and with patients "
        "the public and partners",
        "Commitment to improve the care and outcomes for people",
        "Fairness and equity in the use and deployment of resources",
        "Commitment to eliminate unwarranted variation",
        "Focused on transformation with a clear and credible clinical focus",
        "Foster strong clinical relationships as a driver for change",
    ]
    for heading in ("Roles:", "Capacity:", "Engagement with others:", "Decision-making:", "Behaviours:"):
        assert heading in values
    assert "• Commit to work as 'one big practice'." in values
    assert "• Bring innovation & improvement into to our everyday practice." in values  # source's wording
    assert values[-1] == "'our way of working together to make a difference'"


def test_plan_reporting_and_summary():
    plan = ODPlan.objects.get(pk=PLAN_PK)
    assert "tracked through the Executive and formally reported monthly" in plan.reporting_cadence
    assert "revised in January 2013" in plan.reporting_cadence
    assert "quarterly formal evaluation and review" in plan.reporting_cadence
    assert "twelve member practices" in plan.summary
    assert "approximately 100,400" in plan.summary


# ------------------------------------------------------------------ priority areas


def test_seven_priority_areas_with_appendix_titles():
    titles = list(
        Theme.objects.filter(plan_id=PLAN_PK).order_by("number").values_list("pk", "number", "title")
    )
    assert titles == [
        (201, 1, "Organisational culture and ways of working"),
        (202, 2, "Leadership capability and capacity"),
        (203, 3, "Good governance"),
        (204, 4, "CCG Workforce capacity and capability"),
        (205, 5, "Intelligent commissioner"),
        (206, 6, "Clinical quality and continuous improvement"),
        (207, 7, "Partnerships and Engagement/relationship management"),
    ]


def test_priority_area_descriptions_are_the_section_3_narratives():
    themes = {t.number: t.description for t in Theme.objects.filter(plan_id=PLAN_PK)}
    assert all(themes.values())
    assert themes[1].startswith("As a forming CCG the appropriate organisational culture")
    assert themes[2].startswith("Strong and credible leadership [clinical leaders and non-clinical leaders]")
    assert "We have an identified Cauldicott Guardian" in themes[2]
    # paragraphs that ran over a page break are joined
    assert "working with a range of stakeholders, bring about changes" in themes[2]
    assert "configured as the North East Commissioning Support [NECS]. There is also" in themes[4]
    assert "and the opportunity to optimise outcomes for patients" in themes[5]
    assert "NECS Patient and Public Involvement and communications team" in themes[7]
    assert "• Corporate and individual liability" in themes[3]
    assert themes[6].endswith("it will improve the safety of patients.")


# ------------------------------------------------------------------ actions


def test_41_actions_and_count_per_priority_area():
    qs = Deliverable.objects.filter(theme__plan_id=PLAN_PK)
    assert qs.count() == 41
    per_area = Counter(qs.values_list("theme__number", flat=True))
    assert dict(per_area) == {1: 6, 2: 7, 3: 10, 4: 7, 5: 3, 6: 5, 7: 3}
    assert set(qs.values_list("pk", flat=True)) == set(range(20001, 20042))


def test_positions_run_from_one_within_each_area():
    for theme in Theme.objects.filter(plan_id=PLAN_PK):
        positions = list(theme.deliverables.order_by("position").values_list("position", flat=True))
        assert positions == list(range(1, len(positions) + 1))


@pytest.mark.parametrize("key", sorted(ACTIONS))
def test_every_action_title_status_deadline_and_domains(key):
    title, source_status, deadline_text, domains = ACTIONS[key]
    d = action(*key)
    assert d.title.startswith(title)
    assert d.source_status == source_status
    assert d.status == STATUS_MAP[source_status]
    assert d.deadline_text == deadline_text
    assert domain_numbers(d) == domains
    assert d.version == 1 and d.owner is None


def test_status_counts():
    qs = Deliverable.objects.filter(theme__plan_id=PLAN_PK)
    assert dict(Counter(qs.values_list("status", flat=True))) == {
        "in_progress": 28,
        "not_started": 7,
        "delivered": 3,
        "under_development": 2,
        "proposed": 1,
    }
    assert dict(Counter(qs.values_list("source_status", flat=True))) == {
        "In progress": 28,
        "Not started": 5,
        "Complete": 2,
        "Completed": 1,
        "Under development": 2,
        "Proposed": 1,
        "": 2,
    }


def test_blank_status_rows_are_not_started_with_empty_source_status():
    for pos in (7, 8):
        d = action(3, pos)
        assert d.source_status == ""
        assert d.status == "not_started"
        assert d.methods == "Linked to priority area 1"
        assert d.deadline is None and d.deadline_text == ""
        assert d.comments == ""
    assert action(3, 7).source == "CO"
    assert action(3, 8).source == "Chair"


def test_domains_spot_checks():
    assert domain_numbers(action(2, 7)) == [1, 2, 3, 4, 5, 6]  # Leadership of the annual commissioning cycle
    assert domain_numbers(action(4, 3)) == [1, 3, 5, 6]
    assert domain_numbers(action(7, 2)) == [2, 4]
    assert domain_numbers(action(7, 3)) == [3]
    assert domain_numbers(action(3, 2)) == [4]


def test_first_action_verbatim():
    d = action(1, 1)
    assert d.title == (
        "Embed the vision, purpose and required behaviours by cascading an agreement on ways of working"
    )
    assert d.methods == (
        "Practice level communications facilitated by member representatives via communication mechanisms "
        "GP intranet"
    )
    assert d.source == (
        "CCG home team, CO, Executive team, governing body members, clinical leads; NECS Comms team"
    )
    assert d.cost_text == "TBC" and d.cost_amount is None
    assert d.deadline_text == "Nov 2012" and d.deadline == datetime.date(2012, 11, 30)
    assert d.status == "in_progress" and d.source_status == "In progress"
    assert d.comments == '"ways of working" ratified'


def test_row_split_across_pages_is_joined():
    d = action(1, 3)
    assert d.methods == (
        "Governing body development programme; governing body agenda management Increased member practice "
        "involvement in the governing body arrangments and sub committees"
    )
    assert d.comments == (
        "Initial work undertaken with Governing body members specifically, needs refining and widening out "
        "to practice level and embedding"
    )
    assert d.source == "CO, Executive team, clinical leads,"


def test_source_spelling_kept():
    assert action(3, 9).source == "CO/Chair of Governing body/CCG Chair subcomtte"
    assert "arrangments" in action(1, 3).methods


def test_constitution_row_verbatim():
    d = action(3, 6)
    assert d.title.endswith("provision for the governing body to meet in public")
    assert d.methods == "Use National Model Constitution Part of Governing body development programme"
    assert d.source == "CO/Chairs/NECS Governance Lead"
    assert d.comments == (
        "Refined at development session on 28 June Hempsons to do a legal check/compliance with H&SC bill"
    )
    assert d.deadline_text == "First draft end May 2012 Final draft end October 2012"
    assert d.deadline == datetime.date(2012, 10, 31)


def test_last_action_verbatim():
    d = action(7, 3)
    assert d.title == (
        "Capture the voice of the patient and their experience in a structured and systematic way – "
        "meaningful voices for patients and the public- links to priority area 6"
    )
    assert d.source == "In house NECS LA LINKS"
    assert d.comments == "Some work joint with PCT/LA and CCG"


@pytest.mark.parametrize(
    "key, cost_text, amount",
    [
        ((4, 2), "£10K", Decimal("10000")),
        ((4, 3), "£2K", Decimal("2000")),
        ((4, 5), "£20K", Decimal("20000")),
        ((4, 1), "Part of £10K", None),
        ((3, 3), "£1000 per day @ half a day per month", None),
        ((6, 3), "£300 per practice", None),
        ((5, 1), "Possible development workshops needed. Facilitator approx. £500 per day", None),
        ((7, 1), "Possible development workshops needed. Facilitator approx. £500 per day", None),
        ((1, 1), "TBC", None),
        ((6, 2), "TBC", None),
        ((1, 2), "n/a", None),
        ((2, 7), "in house", None),
    ],
)
def test_costs(key, cost_text, amount):
    d = action(*key)
    assert d.cost_text == cost_text
    assert d.cost_amount == amount


def test_only_three_actions_have_an_amount():
    qs = Deliverable.objects.filter(theme__plan_id=PLAN_PK, cost_amount__isnull=False)
    assert sorted(qs.values_list("cost_amount", flat=True)) == [
        Decimal("2000"),
        Decimal("10000"),
        Decimal("20000"),
    ]


@pytest.mark.parametrize(
    "key, text, date",
    [
        ((1, 1), "Nov 2012", datetime.date(2012, 11, 30)),
        ((1, 2), "June 2012", datetime.date(2012, 6, 30)),
        ((1, 4), "October 2012", datetime.date(2012, 10, 31)),
        ((1, 5), "Sept 2012", datetime.date(2012, 9, 30)),
        ((1, 6), "ongoing", None),
        ((5, 2), "ongoing", None),
        ((3, 3), "Mar 2013", datetime.date(2013, 3, 31)),
        ((3, 5), "July 2012", datetime.date(2012, 7, 31)),
        ((3, 6), "First draft end May 2012 Final draft end October 2012", datetime.date(2012, 10, 31)),
        ((4, 6), "December 2012", datetime.date(2012, 12, 31)),
        ((6, 3), "Dec 2013", datetime.date(2013, 12, 31)),
        ((3, 7), "", None),
    ],
)
def test_deadlines(key, text, date):
    d = action(*key)
    assert d.deadline_text == text
    assert d.deadline == date


def test_every_dated_deadline_is_a_month_end():
    for d in Deliverable.objects.filter(theme__plan_id=PLAN_PK, deadline__isnull=False):
        assert (d.deadline + datetime.timedelta(days=1)).day == 1
    assert Deliverable.objects.filter(theme__plan_id=PLAN_PK, deadline__isnull=True).count() == 4


def test_two_relationship_management_rows_differ_as_printed():
    pa5, pa7 = action(5, 1), action(7, 1)
    assert "NECS, Cluster board, HWB board, NHS CB etc" in pa5.title
    assert "CSU, Cluster board, HWB board, NCB etc" in pa7.title
    assert pa5.comments == (
        "Development opportunities as part of the HWB Board arrangements and Governing Body development "
        "programme- September 2012 workshop with LA & PH"
    )
    assert pa7.comments == (
        "Development opportunities as part of the HWB Board arrangements/ Governing Body development "
        "programme. Sept 2012 workshop with LA & PH"
    )


def test_complete_rows():
    assert action(1, 2).comments == "Revisit over stages of development of the governing body"
    assert action(4, 1).comments == "Provider sourced and development session delivered"
    assert action(4, 1).source == "Lot 1 offer"
    assert action(3, 9).source_status == "Completed" and action(3, 9).status == "delivered"


# ------------------------------------------------------------------ self-assessment


def test_self_assessment_scores():
    sa = SelfAssessment.objects.get(pk=1)
    assert sa.organisation.slug == "nhs-darlington-ccg"
    assert sa.assessed_on is None
    assert sa.assessed_label == "2011"
    assert sa.tool == "PWC diagnostic tool"
    assert "initial baseline self-assessment" in sa.notes
    scores = list(
        sa.scores.order_by("domain__number").values_list(
            "pk", "domain__number", "score_percent", "domain_label"
        )
    )
    assert scores == [
        (1, 1, Decimal("32"), "Clinical Focus and Added Value"),
        (2, 2, Decimal("40"), "Engagement with Patients / Communities"),
        (3, 3, Decimal("30"), "Clear and Credible Plan"),
        (4, 4, Decimal("24"), "Capacity and Capability"),
        (5, 5, Decimal("40"), "Collaborative Arrangements"),
        (6, 6, Decimal("34"), "Leadership Capacity and Capability"),
    ]
