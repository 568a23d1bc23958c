"""A Board Assurance Framework with something in every part, for the API's tests."""

import datetime

from django.utils import timezone

from apps.assurance.models import Category, GapKind, Level, Line
from tests.assurance.factories import (
    AssuranceFactory,
    CommitteeFactory,
    ControlFactory,
    GapFactory,
    PrincipalRiskFactory,
    RiskAppetiteFactory,
    StrategicObjectiveFactory,
)
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
from tests.risks.factories import RiskFactory


def build_framework(organisation, n, *, label="A"):
    """``n`` principal risks of ``organisation`` under two objectives, one committee and an
    appetite (finance, tolerance 9): each risk with two controls, an assurance per control
    (received by the committee), an open gap closed by an overdue deliverable and a closed gap.
    Every other risk has a tolerance of its own (20) and no target. Returns the records made."""
    objectives = [StrategicObjectiveFactory(organisation=organisation) for _ in range(2)]
    committee = CommitteeFactory(organisation=organisation, name=f"Audit committee {label}")
    appetite = RiskAppetiteFactory(organisation=organisation, category=Category.FINANCE, tolerance=9)
    theme = ThemeFactory(plan=ODPlanFactory(organisation=organisation))
    late = DeliverableFactory(theme=theme, deadline=timezone.localdate() - datetime.timedelta(days=5))
    made = {"objectives": objectives, "committee": committee, "appetite": appetite, "deliverable": late}
    for key in ("principal_risks", "controls", "assurances", "gaps"):
        made[key] = []
    for i in range(n):
        risk = RiskFactory(
            organisation=organisation,
            description=f"Financial balance risk {label}{i}",
            severity=5,
            likelihood=4,
            residual_severity=4,
            residual_likelihood=3 - i % 2,
        )
        own = {"tolerance": 20, "target_severity": None, "target_likelihood": None} if i % 2 else {}
        principal = PrincipalRiskFactory(
            risk=risk, objectives=objectives[: 1 + i % 2], committee=committee, **own
        )
        made["principal_risks"].append(principal)
        for level in (Level.SIGNIFICANT, Level.LIMITED):
            control = ControlFactory(principal_risk=principal)
            made["controls"].append(control)
            made["assurances"].append(
                AssuranceFactory(
                    control=control,
                    level=level,
                    line=Line.MANAGEMENT,
                    committee=committee,
                    received_on=datetime.date(2013, 4, 1),
                )
            )
        gap = GapFactory(principal_risk=principal)
        gap.deliverables.set([late])
        closed = GapFactory(
            principal_risk=principal, kind=GapKind.ASSURANCE, closed_on=datetime.date(2013, 5, 1)
        )
        made["gaps"] += [gap, closed]
    return made


def framework_records(organisation):
    """An id of each kind of framework record of ``organisation`` (by the API's path names)."""
    made = build_framework(organisation, 1, label="S")
    return {
        "strategic-objectives": made["objectives"][0].pk,
        "principal-risks": made["principal_risks"][0].pk,
        "controls": made["controls"][0].pk,
        "assurances": made["assurances"][0].pk,
        "gaps": made["gaps"][0].pk,
        "risk-appetites": made["appetite"].pk,
        "committees": made["committee"].pk,
    }
