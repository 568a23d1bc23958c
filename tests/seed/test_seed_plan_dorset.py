"""The NHS Dorset CCG OD Strategy 2012-2017 seed (fixtures/03_plan_dorset.json), checked against the
governing body paper of 15/01/2014 (Appendix 1: 6 themes, 20 objectives, 54 key deliverables).

Expected values are typed from the source paper, not read back from the fixture."""

import datetime

import pytest

from apps.plans.models import Deliverable, Objective, ODPlan, Theme

pytestmark = pytest.mark.django_db

THEME_TITLES = {
    1: "Governance, Structures and Processes",
    2: "Locality and Commissioning Development",
    3: "Leadership Development",
    4: "Values, Behaviours and Relationships",
    5: "Collaboration and Engagement",
    6: "Organisational Change",
}
OBJECTIVES_PER_THEME = {1: 2, 2: 2, 3: 3, 4: 3, 5: 6, 6: 4}
DELIVERABLES_PER_THEME = {1: 11, 2: 11, 3: 11, 4: 3, 5: 9, 6: 9}
DELIVERABLES_PER_SUBHEADING = {
    (1, ""): 11,
    (2, "Locality Development"): 8,
    (2, "Commissioning Plan Development"): 3,
    (3, "Leadership Domain"): 7,
    (3, "Commissioning Support"): 4,
    (4, ""): 3,
    (5, ""): 9,
    (6, ""): 9,
}
STATUS_COUNTS = {"delivered_further_work": 29, "delivered": 24, "in_progress": 1}
STATUS_PER_THEME = {
    1: {"delivered_further_work": 8, "delivered": 3},
    2: {"delivered_further_work": 7, "delivered": 4},
    3: {"delivered_further_work": 5, "delivered": 6},
    4: {"delivered_further_work": 2, "delivered": 1},
    5: {"delivered_further_work": 5, "delivered": 4},
    6: {"delivered_further_work": 2, "delivered": 6, "in_progress": 1},
}

REGULAR_PROGRAMME = (
    "A regular programme of development is in place, including;\n"
    "• Governing Body and extending Clinical Leads development\n"
    "• Membership engagement sessions, which take place on a quarterly basis\n"
    "• Protected Learning time for practices which has been widely welcomed\n"
    "• A 'Hot Topics' programme which was attended by over 90 GPs."
)


@pytest.fixture
def plan():
    return ODPlan.objects.get(organisation__slug="nhs-dorset-ccg")


def deliverables(plan):
    return Deliverable.objects.filter(theme__plan=plan)


def get(plan, theme, position):
    return Deliverable.objects.get(theme__plan=plan, theme__number=theme, position=position)


# --- the plan -------------------------------------------------------------------------------


def test_plan_fields(plan):
    assert plan.pk == 1
    assert plan.organisation.slug == "nhs-dorset-ccg"
    assert plan.title == "Organisational Development Strategy 2012-2017"
    assert plan.period_label == "2012-2017"
    assert plan.period_start == datetime.date(2012, 1, 1)
    assert plan.period_end == datetime.date(2017, 12, 31)
    assert plan.author == "E Parson, Head of Workforce"
    assert plan.approved_on is None
    assert plan.approval_note == (
        "The Shadow CCG Board approved its Organisational Development Strategy in June 2012."
    )
    assert plan.reported_on == datetime.date(2014, 1, 15)
    assert "update" in plan.reporting_cadence
    assert "Governing Body" in plan.reporting_cadence
    assert plan.budget_amount is None
    assert plan.budget_note == "Resource implications: Within Budget"
    assert plan.vision == plan.strategic_aims == plan.values == ""
    assert "15/01/2014" in plan.source_document
    assert "Organisational Development Strategy 2012-2017" in plan.source_document


def test_plan_strategic_principles(plan):
    assert plan.strategic_principles.split("\n") == [
        "Services designed around patients",
        "Preventing ill health and inequalities",
        "Sustainable healthcare services",
        "Care closer to home",
    ]


def test_plan_summary_is_sections_2_1_to_2_4(plan):
    paragraphs = plan.summary.split("\n\n")
    assert [p[:3] for p in paragraphs] == ["2.1", "2.2", "2.3", "2.4"]
    assert paragraphs[0] == (
        "2.1 The Shadow CCG Board approved its Organisational Development Strategy in June 2012. "
        "This report reflects the broad scope of the plan over the past 18 months, noting a large "
        "element of delivery."
    )
    assert paragraphs[2] == (
        "2.3 The notable areas of delivery identified in this report include;\n"
        "• Established clinical leaders across Locality and Clinical Commissioning Programmes structures;\n"
        "• Established clinical engagement and development mechanisms including leadership development;\n"
        "• Developed succession planning for clinical roles;\n"
        "• A robust and sustainable commissioning support function;\n"
        "• Successful authorisation underpinned the development that was put in place."
    )
    assert paragraphs[3].count("\n• ") == 2
    assert paragraphs[3].endswith("in concert with the public narrative of system change.")


# --- themes and objectives --------------------------------------------------------------------


def test_six_themes_with_exact_titles(plan):
    themes = Theme.objects.filter(plan=plan).order_by("number")
    assert {t.number: t.title for t in themes} == THEME_TITLES
    assert [t.pk for t in themes] == [101, 102, 103, 104, 105, 106]


def test_objectives_per_theme(plan):
    for number, expected in OBJECTIVES_PER_THEME.items():
        objectives = Objective.objects.filter(theme__plan=plan, theme__number=number)
        assert objectives.count() == expected, number
        assert sorted(objectives.values_list("position", flat=True)) == list(range(1, expected + 1))
    assert Objective.objects.filter(theme__plan=plan).count() == 20
    assert not Objective.objects.filter(theme__plan=plan, text__contains="•").exists()


def test_objective_spot_checks(plan):
    theme1 = list(Objective.objects.filter(theme__plan=plan, theme__number=1).values_list("text", flat=True))
    assert theme1 == [
        "Establishment of shadow board and governance arrangements;",
        "Successful achievement of authorisation leading to full responsibility and accountability "
        "(NHS Dorset Clinical Commissioning Group fully authorised as a statutory organisation "
        "by April 2013).",
    ]
    theme2 = Objective.objects.get(theme__plan=plan, theme__number=2, position=1)
    assert theme2.text == (
        "Successful achievement of Domain 1 - Strong Clinical and Multi-Professional Focus and Locality "
        "Development (NHS Dorset Clinical Commissioning Group fully authorised as a statutory "
        "organisation by April 2013);"
    )
    theme6 = Objective.objects.get(theme__plan=plan, theme__number=6, position=4)
    assert theme6.text == (
        "Formal transfer of HR/Workforce related policies and procedures (including education and "
        "training) with a detailed programme of review post March 2013"
    )


# --- deliverables: counts ---------------------------------------------------------------------


def test_54_deliverables(plan):
    qs = deliverables(plan)
    assert qs.count() == 54
    assert sorted(qs.values_list("pk", flat=True)) == list(range(10001, 10055))


def test_deliverables_per_theme_and_positions(plan):
    for number, expected in DELIVERABLES_PER_THEME.items():
        qs = deliverables(plan).filter(theme__number=number)
        assert qs.count() == expected, number
        assert sorted(qs.values_list("position", flat=True)) == list(range(1, expected + 1))


def test_deliverables_per_subheading(plan):
    counts = {}
    for number, subheading in deliverables(plan).values_list("theme__number", "subheading"):
        counts[(number, subheading)] = counts.get((number, subheading), 0) + 1
    assert counts == DELIVERABLES_PER_SUBHEADING


def test_subheadings_are_contiguous_in_order(plan):
    theme2 = list(
        deliverables(plan).filter(theme__number=2).order_by("position").values_list("subheading", flat=True)
    )
    assert theme2 == ["Locality Development"] * 8 + ["Commissioning Plan Development"] * 3
    theme3 = list(
        deliverables(plan).filter(theme__number=3).order_by("position").values_list("subheading", flat=True)
    )
    assert theme3 == ["Leadership Domain"] * 7 + ["Commissioning Support"] * 4


# --- deliverables: narratives and statuses ----------------------------------------------------


def test_every_deliverable_has_a_narrative(plan):
    for d in deliverables(plan):
        assert d.delivered_narrative or d.in_progress_narrative, d.pk


def test_narratives_are_plain_text(plan):
    for d in deliverables(plan):
        for text in (d.title, d.delivered_narrative, d.in_progress_narrative):
            assert "<" not in text and ">" not in text, d.pk
            assert text == text.strip(), d.pk
            assert "  " not in text and "\n\n\n" not in text, d.pk
            for line in text.split("\n"):
                assert "•" not in line or line.startswith("• "), (d.pk, line)


def test_status_follows_the_narratives(plan):
    for d in deliverables(plan):
        if d.delivered_narrative and d.in_progress_narrative:
            assert (d.status, d.source_status) == ("delivered_further_work", "Delivered; In Progress"), d.pk
        elif d.delivered_narrative:
            assert (d.status, d.source_status) == ("delivered", "Delivered"), d.pk
        else:
            assert (d.status, d.source_status) == ("in_progress", "In Progress"), d.pk


def test_status_counts(plan):
    counts = {}
    for status in deliverables(plan).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    assert counts == STATUS_COUNTS


def test_status_counts_per_theme(plan):
    for number, expected in STATUS_PER_THEME.items():
        counts = {}
        for status in deliverables(plan).filter(theme__number=number).values_list("status", flat=True):
            counts[status] = counts.get(status, 0) + 1
        assert counts == expected, number


def test_other_fields_empty(plan):
    for d in deliverables(plan):
        assert d.version == 1 and d.owner_id is None
        assert d.cost_text == "" and d.cost_amount is None
        assert d.methods == d.source == d.comments == ""


# --- word-for-word spot checks ----------------------------------------------------------------


def test_first_deliverable_two_paragraphs(plan):
    d = get(plan, 1, 1)
    assert d.title == (
        "Confirmation of GP Locality Leads and Deputy Locality Leads, including capacity and capability "
        "to undertake this role on behalf of the locality and the Clinical Commissioning Group."
    )
    assert d.subheading == ""
    assert d.delivered_narrative == (
        "Clinicians are well established in each locality providing leadership at a Lead and Deputy "
        "Lead level and with succession planning taking place.\n\n"
        "Leadership Development has been provided and is available in 2014 for new Leads."
    )
    assert d.in_progress_narrative == ""
    assert d.status == "delivered"


def test_row_split_across_page_theme1(plan):
    d = get(plan, 1, 3)
    assert d.title == (
        "Design and roll out of development events for the governing body to include strategy "
        "development aligned to aim, missions and values."
    )
    assert d.delivered_narrative == (
        "A regular programme of development is in place, including;\n"
        "• Governing Body and extending Clinical/ Support Leads development\n"
        "• Membership engagement sessions, which take place on a quarterly basis."
    )
    assert d.in_progress_narrative == (
        "The Clinical Education strategy is being revised in line with the organisation's programme of "
        "development and to address member development needs as commissioners."
    )
    d = get(plan, 1, 9)
    assert d.title == "Agree internal structure for management of discharge and execution."
    assert d.delivered_narrative == "This is covered under the CCG's Constitution."
    assert d.in_progress_narrative == (
        "Licence exists to revise the CCG Constitution on an annual basis as advised by the Board Secretary."
    )


def test_bulleted_narrative_with_source_typo_and_page_break(plan):
    d = get(plan, 2, 3)
    assert d.subheading == "Locality Development"
    assert d.title == (
        "Development of capacity and capability of the locality teams to develop and deliver commissioning "
        "plans with a clear focus on outcomes and quality (protected time for locality teams to identify "
        "and shape their learning and leadership needs)."
    )
    assert d.delivered_narrative == (
        "A regular programme of development is in place, including;\n"
        "• Governing Body and extending Clinical Leads development\n"
        "• Membership engagement sessions, which take place on a quarterly basis\n"
        "• Protected Learning time for practices for practices which has been widely welcomed\n"
        "• A 'Hot Topics' programme which was attended by over 90 GPs."
    )
    assert d.in_progress_narrative == ""
    assert list(d.domains.values_list("number", flat=True)) == [1]


def test_bulleted_list_joined_across_page_break(plan):
    d = get(plan, 2, 8)
    assert d.delivered_narrative == (
        "As clinically led organisation the CCG has GP (clinical) representation on the following:\n"
        "• Dorset and Bournemouth & Poole Health and Wellbeing Boards;\n"
        "• GP lead and localities represented on CCPs;\n"
        "• The CCG is a member of Dorset Innovation Group;\n"
        "• Contract monitoring and negotiation meetings;\n"
        "• The 'Better Together' for Health and Social Care Integration Transformation Programme."
    )
    assert d.in_progress_narrative == (
        "Strengthen the links between localities and Clinical Commissioning Programmes as well as "
        "wider health system."
    )
    d = get(plan, 3, 2)
    assert d.title == (
        "Roll out of Learning Events and Protected Learning time for practices for practices across Dorset."
    )
    assert d.delivered_narrative == REGULAR_PROGRAMME


def test_leadership_domain_bullets(plan):
    d = get(plan, 3, 1)
    assert d.subheading == "Leadership Domain"
    assert d.delivered_narrative == (
        "Extensive leadership development is in place including;\n"
        "• Leadership Development for Clinicians, Directors and Deputy Directors\n"
        "• An Executive Development programme\n"
        "• A number of local team development programmes\n"
        "• The Wessex Leadership Academy"
    )
    assert d.in_progress_narrative == (
        "Leadership Development continues to be a priority and delivered through the afore mentioned "
        "programmes."
    )


def test_two_paragraph_in_progress(plan):
    for theme, position in ((2, 5), (5, 8)):
        d = get(plan, theme, position)
        assert d.in_progress_narrative == (
            "The Strategy and Planning team with colleagues will be developing a systematic tool to bring "
            "together all of the existing information which informs our priorities and plans.\n\n"
            "They will also be reviewing and developing a priority setting policy for the CCG."
        )
        assert d.delivered_narrative.endswith(
            "links to other priorities e.g. National, Health and Wellbeing Strategies etc"
        )


def test_theme5_row_split_across_page(plan):
    d = get(plan, 5, 7)
    assert d.title == (
        "To ensure ongoing clinical leadership and engagement through Clinical Commissioning Programmes "
        "and other related work programmes, with a focus on 'added value'."
    )
    assert d.delivered_narrative == (
        "Engagement of clinical leaders is organised via membership engagement events, communication "
        "bulletins and through the commissioning support locality teams.\n\n"
        "The organisation has now aligned its commissioning support to the delivery of the 7 clinical "
        "commissioning programmes."
    )
    assert d.status == "delivered"


def test_theme4_missing_full_stop_kept(plan):
    d = get(plan, 4, 3)
    assert d.delivered_narrative == (
        "Clinical locality arrangements and structures are now in place, with aligned commissioning "
        "support locality teams"
    )


def test_only_in_progress_deliverable(plan):
    only = deliverables(plan).filter(delivered_narrative="")
    assert only.count() == 1
    d = only.get()
    assert (d.theme.number, d.position) == (6, 8)
    assert d.title == (
        "Undertake a programme of review of all contractual HR policies and develop a prioritisation "
        "plan post transfer."
    )
    assert d.in_progress_narrative == (
        "A review of all HR policies is currently underway and will be in place from 1st April 2014, "
        "following discussion and agreement with local staff side representatives and approval of "
        "Directors group."
    )
    assert d.status == "in_progress"
    assert d.source_status == "In Progress"
    assert d.deadline == datetime.date(2014, 4, 1)
    assert d.deadline_text == "from 1st April 2014"


def test_last_deliverable_of_theme_6(plan):
    d = deliverables(plan).filter(theme__number=6).order_by("-position").first()
    assert d.position == 9
    assert d.pk == 10054
    assert d.title == (
        "Review the statutory and mandatory training matrix to ensure that it is fit for purpose for the CCG "
        "and fully demonstrates compliance with safeguarding training requirements."
    )
    assert d.delivered_narrative == (
        "Statutory and mandatory training requirements are currently being delivered to all staff through "
        "e-learning system, supplemented by quarterly training days for clinicians working in commissioning "
        "support teams."
    )
    assert d.in_progress_narrative == (
        "The induction is currently being reviewed and a revised programme will be in place by early 2014."
    )
    assert d.status == "delivered_further_work"
    assert d.deadline is None
    assert d.deadline_text == "by early 2014"


def test_en_dash_kept(plan):
    d = get(plan, 3, 5)
    assert d.title.startswith("Succession Planning – identification of emerging leaders")


# --- domains and deadlines --------------------------------------------------------------------


def test_domains(plan):
    expected = {
        "Locality Development": [1],
        "Commissioning Plan Development": [3],
        "Leadership Domain": [6],
    }
    for d in deliverables(plan):
        numbers = sorted(d.domains.values_list("number", flat=True))
        assert numbers == expected.get(d.subheading, []), (d.pk, d.subheading)


def test_deadlines(plan):
    with_text = {
        (d.theme.number, d.position): (d.deadline, d.deadline_text)
        for d in deliverables(plan).exclude(deadline_text="").select_related("theme")
    }
    assert with_text == {
        (1, 2): (None, "in 2014"),
        (1, 8): (datetime.date(2014, 1, 31), "by the end of January 2014"),
        (2, 9): (None, "in early 2014"),
        (3, 6): (None, "in early 2014"),
        (4, 3): (None, "for early 2014"),
        (5, 4): (datetime.date(2013, 12, 31), "in December"),
        (5, 6): (None, "in early 2014"),
        (6, 8): (datetime.date(2014, 4, 1), "from 1st April 2014"),
        (6, 9): (None, "by early 2014"),
    }
    for d in deliverables(plan).exclude(deadline_text=""):
        assert d.deadline_text in d.in_progress_narrative, d.pk
    assert not deliverables(plan).filter(deadline_text="", deadline__isnull=False).exists()
