"""Outside appetite, limited assurance and overdue actions: each defined once in SQL, and the
Python twin of outside appetite agrees with it on every combination."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.assurance.models import (
    Category,
    Level,
    PrincipalRisk,
    RiskAppetite,
    StrategicObjective,
    outside_appetite_q,
    overdue_actions_q,
    weak_assurance_q,
)
from apps.plans.models import Deliverable
from tests.assurance.factories import (
    AssuranceFactory,
    ControlFactory,
    GapFactory,
    PrincipalRiskFactory,
    RiskAppetiteFactory,
)
from tests.factories import OrganisationFactory
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


def _principal(organisation, residual, *, category=Category.FINANCE, tolerance=None):
    severity, likelihood = residual
    risk = RiskFactory(
        organisation=organisation,
        severity=5,
        likelihood=5,
        residual_severity=severity,
        residual_likelihood=likelihood,
    )
    return PrincipalRiskFactory(risk=risk, category=category, tolerance=tolerance)


def test_outside_appetite_in_sql_agrees_with_its_python_twin():
    organisation = OrganisationFactory()
    RiskAppetiteFactory(organisation=organisation, category=Category.FINANCE, tolerance=8)
    RiskAppetiteFactory(organisation=organisation, category=Category.QUALITY, tolerance=15)
    cases = {
        "finance 9 over 8": _principal(organisation, (3, 3)),
        "finance 8 at 8": _principal(organisation, (4, 2)),
        "quality 12 under 15": _principal(organisation, (4, 3), category=Category.QUALITY),
        "quality 12 over its own 10": _principal(
            organisation, (4, 3), category=Category.QUALITY, tolerance=10
        ),
        "finance 20 under its own 20": _principal(organisation, (5, 4), tolerance=20),
        "no category, no tolerance": _principal(organisation, (5, 5), category=""),
        "workforce: no appetite set": _principal(organisation, (5, 5), category=Category.WORKFORCE),
    }
    appetites = dict(
        RiskAppetite.objects.filter(organisation=organisation).values_list("category", "tolerance")
    )
    rows = {p.pk: p for p in PrincipalRisk.objects.with_appetite().select_related("risk")}
    expected = {
        "finance 9 over 8": True,
        "finance 8 at 8": False,
        "quality 12 under 15": False,
        "quality 12 over its own 10": True,
        "finance 20 under its own 20": False,
        "no category, no tolerance": False,
        "workforce: no appetite set": False,
    }
    for name, principal in cases.items():
        row = rows[principal.pk]
        assert row.outside_appetite is expected[name], name
        assert row.is_outside_appetite(appetites) is expected[name], name
    outside = set(PrincipalRisk.objects.outside_appetite().values_list("pk", flat=True))
    assert outside == {cases["finance 9 over 8"].pk, cases["quality 12 over its own 10"].pk}


def test_another_organisations_appetite_does_not_apply():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    RiskAppetiteFactory(organisation=theirs, category=Category.FINANCE, tolerance=1)
    principal = _principal(mine, (3, 3))
    assert not PrincipalRisk.objects.with_appetite().get(pk=principal.pk).outside_appetite


def test_limited_or_no_assurance():
    weak = AssuranceFactory(level=Level.LIMITED).control.principal_risk
    none = AssuranceFactory(level=Level.NONE).control.principal_risk
    unassured = ControlFactory().principal_risk
    strong = AssuranceFactory(level=Level.SIGNIFICANT).control.principal_risk
    no_controls = PrincipalRiskFactory()
    found = set(PrincipalRisk.objects.filter(weak_assurance_q()).values_list("pk", flat=True))
    assert {weak.pk, none.pk, unassured.pk} <= found
    assert strong.pk not in found and no_controls.pk not in found


def test_overdue_actions_are_open_gaps_with_an_overdue_current_deliverable():
    organisation = OrganisationFactory()
    theme = ThemeFactory(plan=ODPlanFactory(organisation=organisation))
    past = timezone.localdate() - datetime.timedelta(days=3)
    overdue = DeliverableFactory(theme=theme, deadline=past)
    delivered = DeliverableFactory(theme=theme, deadline=past, status=Deliverable.Status.DELIVERED)
    archived = DeliverableFactory(theme=theme, deadline=past, archived_at=timezone.now())
    cases = {}
    for name, deliverable, closed in (
        ("overdue", overdue, None),
        ("delivered", delivered, None),
        ("archived", archived, None),
        ("closed gap", overdue, past),
    ):
        gap = GapFactory(principal_risk=_principal(organisation, (2, 2)), closed_on=closed)
        gap.deliverables.set([deliverable])
        cases[name] = gap.principal_risk_id
    found = set(PrincipalRisk.objects.filter(overdue_actions_q()).values_list("pk", flat=True))
    assert found & set(cases.values()) == {cases["overdue"]}


def test_the_database_refuses_an_objective_without_words_and_a_tolerance_out_of_range():
    organisation = OrganisationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StrategicObjective.objects.create(organisation=organisation, text="")
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskAppetite.objects.create(
            organisation=organisation, category=Category.FINANCE, level="open", tolerance=26
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PrincipalRiskFactory(target_severity=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        PrincipalRiskFactory(target_severity=2, target_likelihood=None)


def test_a_risk_is_a_principal_risk_once():
    principal = PrincipalRiskFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PrincipalRiskFactory(risk=principal.risk)


def test_current_leaves_out_archived_risks():
    principal = PrincipalRiskFactory()
    type(principal.risk).objects.filter(pk=principal.risk_id).update(archived_at=timezone.now())
    assert not PrincipalRisk.objects.current().filter(pk=principal.pk).exists()
    assert outside_appetite_q()  # one definition, used by the filter and the figure
