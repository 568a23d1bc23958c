"""Every write of the framework through its service: the permission matrix (staff and
organisation administrators of the organisation or above it write; board members, another
organisation's staff and anonymous users are refused and nothing changes), each service's own
rule, and the history every write leaves."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from apps.assurance import services
from apps.assurance.models import Category, Committee, Control, Gap, Level, Line, PrincipalRisk, RiskAppetite
from apps.core.history.audit import StaleVersionError, audit_events
from apps.organisations.models import Membership
from tests.assurance.factories import (
    AssuranceFactory,
    CommitteeFactory,
    ControlFactory,
    GapFactory,
    PrincipalRiskFactory,
    StrategicObjectiveFactory,
)
from tests.factories import LatFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lat():
    return LatFactory()


@pytest.fixture
def organisation(lat):
    return OrganisationFactory(parent=lat)


def _member(organisation, role):
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


# Who may write an organisation's framework: (role, where, allowed).
MATRIX = [
    ("staff", "own", True),
    ("orgadmin", "own", True),
    ("staff", "above", True),  # staff of the LAT above it
    ("board", "own", False),
    ("staff", "other", False),
    ("orgadmin", "other", False),
    ("admin", "", True),
    ("anonymous", "", False),
]
ROLES = {
    "staff": Membership.Role.STAFF,
    "orgadmin": Membership.Role.ORG_ADMIN,
    "board": Membership.Role.GOVERNING_BODY,
}


def _user(role, where, organisation):
    if role == "admin":
        return UserFactory(is_superuser=True, is_staff=True)
    if role == "anonymous":
        return AnonymousUser()
    at = {"own": organisation, "above": organisation.parent, "other": OrganisationFactory()}[where]
    return _member(at, ROLES[role])


def _writes(organisation):
    """Each write of the framework, as (name, a function of the user doing it, what it leaves)."""
    principal = PrincipalRiskFactory(
        risk=RiskFactory(
            organisation=organisation, severity=4, likelihood=4, residual_severity=4, residual_likelihood=3
        ),
        objectives=[StrategicObjectiveFactory(organisation=organisation)],
    )
    control = ControlFactory(principal_risk=principal)
    assurance = AssuranceFactory(control=control)
    committee = CommitteeFactory(organisation=organisation)
    free_risk = RiskFactory(organisation=organisation, severity=5, likelihood=5)
    objective = StrategicObjectiveFactory(organisation=organisation)

    def count(model):
        return lambda: model.objects.count()

    return [
        (
            "add a principal risk",
            lambda user: services.principal_risk_edit.create(
                acting_user=user,
                values={
                    "risk": free_risk,
                    "objectives": [objective],
                    "target_severity": 2,
                    "target_likelihood": 2,
                    "category": Category.FINANCE,
                },
                note="",
            ),
            count(PrincipalRisk),
        ),
        (
            "edit a principal risk's target",
            lambda user: services.principal_risk_edit(
                pk=principal.pk,
                acting_user=user,
                expected_version=principal.version,
                changes={"target_severity": 1},
                note="Board set a lower target.",
            ),
            lambda: PrincipalRisk.objects.get(pk=principal.pk).target_severity,
        ),
        (
            "add a control",
            lambda user: services.control_edit.create(
                acting_user=user,
                values={
                    "principal_risk": principal,
                    "description": "Monthly finance report",
                    "effectiveness": "effective",
                },
            ),
            count(Control),
        ),
        (
            "add an assurance",
            lambda user: services.assurance_edit.create(
                acting_user=user,
                values={
                    "control": control,
                    "description": "Audit",
                    "line": Line.INDEPENDENT,
                    "level": Level.LIMITED,
                },
            ),
            lambda: control.assurances.count(),
        ),
        (
            "downgrade an assurance",
            lambda user: services.assurance_edit(
                pk=assurance.pk,
                acting_user=user,
                expected_version=assurance.version,
                changes={"level": Level.NONE},
            ),
            lambda: type(assurance).objects.get(pk=assurance.pk).level,
        ),
        (
            "record a gap",
            lambda user: services.gap_edit.create(
                acting_user=user,
                values={"principal_risk": principal, "kind": "assurance", "description": "No audit"},
            ),
            count(Gap),
        ),
        (
            "add a committee",
            lambda user: services.committee_edit.create(
                acting_user=user, values={"organisation": organisation, "name": "Audit Committee"}
            ),
            count(Committee),
        ),
        (
            "rename a committee",
            lambda user: services.committee_edit(
                pk=committee.pk,
                acting_user=user,
                expected_version=committee.version,
                changes={"name": "Quality"},
            ),
            lambda: Committee.objects.get(pk=committee.pk).name,
        ),
        (
            "set an appetite",
            lambda user: services.appetite_edit.create(
                acting_user=user,
                values={
                    "organisation": organisation,
                    "category": Category.FINANCE,
                    "level": "minimal",
                    "tolerance": 6,
                },
                note="Board meeting of May.",
            ),
            count(RiskAppetite),
        ),
        (
            "add an objective",
            lambda user: services.objective_edit.create(
                acting_user=user, values={"organisation": organisation, "text": "Stay in balance"}
            ),
            lambda: organisation.strategic_objectives.count(),
        ),
    ]


@pytest.mark.parametrize(("role", "where", "allowed"), MATRIX)
def test_permission_matrix(organisation, role, where, allowed):
    user = _user(role, where, organisation)
    for name, write, state in _writes(organisation):
        before = state()
        if allowed:
            write(user)
            assert state() != before, f"{role} {where}: {name} changed nothing"
        else:
            with pytest.raises(PermissionDenied):
                write(user)
            assert state() == before, f"{role} {where}: {name} was refused but changed something"


def test_a_write_leaves_its_history_with_the_note(organisation):
    staff = _member(organisation, Membership.Role.STAFF)
    appetite = services.appetite_edit.create(
        acting_user=staff,
        values={
            "organisation": organisation,
            "category": Category.QUALITY,
            "level": "cautious",
            "tolerance": 9,
        },
        note="Set by the board on 1 May.",
    )
    services.appetite_edit(
        pk=appetite.pk,
        acting_user=staff,
        expected_version=appetite.version,
        changes={"level": "open", "tolerance": 12},
        note="Board raised its appetite.",
    )
    events = audit_events(appetite)
    assert [e.note for e in events[:2]] == ["Board raised its appetite.", "Set by the board on 1 May."]
    shown = {c.label: (c.before, c.after) for c in events[0].changes}
    assert shown["Tolerance"] == ("9", "12") and shown["Level"] == ("Cautious", "Open")


def test_an_appetite_needs_a_note(organisation):
    staff = _member(organisation, Membership.Role.STAFF)
    with pytest.raises(ValidationError) as error:
        services.appetite_edit.create(
            acting_user=staff,
            values={
                "organisation": organisation,
                "category": Category.QUALITY,
                "level": "open",
                "tolerance": 9,
            },
        )
    assert "note" in error.value.error_dict
    assert not RiskAppetite.objects.filter(organisation=organisation).exists()


def test_a_stale_version_is_refused(organisation):
    staff = _member(organisation, Membership.Role.STAFF)
    control = ControlFactory(principal_risk=PrincipalRiskFactory(risk=RiskFactory(organisation=organisation)))
    with pytest.raises(StaleVersionError):
        services.control_edit(
            pk=control.pk, acting_user=staff, expected_version=control.version + 1, changes={"owner": "CFO"}
        )
    assert Control.objects.get(pk=control.pk).owner == control.owner


def test_rules_of_the_principal_risk(organisation):
    staff = _member(organisation, Membership.Role.STAFF)
    risk = RiskFactory(
        organisation=organisation, severity=3, likelihood=3, residual_severity=2, residual_likelihood=2
    )
    mine = StrategicObjectiveFactory(organisation=organisation)
    theirs = StrategicObjectiveFactory(organisation=OrganisationFactory())
    other_committee = CommitteeFactory()

    def add(**values):
        return services.principal_risk_edit.create(
            acting_user=staff,
            values={
                "risk": risk,
                "objectives": [mine],
                "target_severity": 2,
                "target_likelihood": 2,
                **values,
            },
        )

    for values, field in (
        ({"objectives": []}, "objectives"),
        ({"objectives": [theirs]}, "objectives"),
        ({"committee": other_committee}, "committee"),
        ({"target_severity": 4, "target_likelihood": 3}, "target_likelihood"),  # 12 above inherent 9
    ):
        with pytest.raises(ValidationError) as error:
            add(**values)
        assert field in error.value.error_dict, values
    assert not PrincipalRisk.objects.filter(risk=risk).exists()
    principal = add()
    assert list(principal.objectives.all()) == [mine]


def test_a_gap_is_closed_by_the_organisations_own_deliverables(organisation):
    staff = _member(organisation, Membership.Role.STAFF)
    principal = PrincipalRiskFactory(risk=RiskFactory(organisation=organisation))
    own = DeliverableFactory(theme=ThemeFactory(plan=ODPlanFactory(organisation=organisation)))
    other = DeliverableFactory()
    with pytest.raises(ValidationError) as error:
        services.gap_edit.create(
            acting_user=staff,
            values={
                "principal_risk": principal,
                "kind": "control",
                "description": "x",
                "deliverables": [other],
            },
        )
    assert "deliverables" in error.value.error_dict
    gap = services.gap_edit.create(
        acting_user=staff,
        values={
            "principal_risk": principal,
            "kind": "control",
            "description": "No cover",
            "deliverables": [own],
        },
        note="Found at the audit committee.",
    )
    assert list(gap.deliverables.all()) == [own]
    assert audit_events(gap)[0].note.startswith("Found at the audit committee. Actions closing it: none → ")
    # A change of its actions alone is history too: the audit event's note says what changed.
    services.gap_edit(
        pk=gap.pk,
        acting_user=staff,
        expected_version=gap.version,
        changes={"deliverables": []},
        note="Dropped.",
    )
    assert audit_events(gap)[0].note == f"Dropped. Actions closing it: {own} → none."


def test_an_assurance_is_received_by_a_committee_of_its_organisation(organisation):
    staff = _member(organisation, Membership.Role.STAFF)
    control = ControlFactory(principal_risk=PrincipalRiskFactory(risk=RiskFactory(organisation=organisation)))
    with pytest.raises(ValidationError):
        services.assurance_edit.create(
            acting_user=staff,
            values={
                "control": control,
                "description": "Audit",
                "line": Line.INDEPENDENT,
                "level": Level.SIGNIFICANT,
                "committee": CommitteeFactory(),
            },
        )
    assert not control.assurances.exists()


def test_gap_factory_makes_one():
    assert GapFactory().principal_risk.risk.organisation
