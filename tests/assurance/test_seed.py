"""Darlington's Board Assurance Framework seed (fixtures/07_assurance_darlington.json): it loads,
loads twice without duplicates, never overwrites what people recorded, and its controls are the
risk register's mitigations as the source prints them."""

import re

import pytest

from apps.assurance import services
from apps.assurance.models import Committee, Control, PrincipalRisk, StrategicObjective
from apps.core.seed import load_seed
from apps.risks.models import Risk
from tests.conftest import seed_source

pytestmark = pytest.mark.django_db
SOURCE = "002_8452fc7fca7c0bc4.txt"


def _darlington():
    return PrincipalRisk.objects.filter(risk__organisation__slug="nhs-darlington-ccg")


def test_nine_principal_risks_under_the_seven_priority_areas():
    assert sorted(_darlington().values_list("risk__reference", flat=True)) == [f"R{i}" for i in range(1, 10)]
    objectives = StrategicObjective.objects.filter(organisation__slug="nhs-darlington-ccg").order_by(
        "position"
    )
    assert [o.plan_theme.number for o in objectives] == list(range(1, 8))
    assert [o.wording for o in objectives][:2] == [
        "Organisational culture and ways of working",
        "Leadership capability and capacity",
    ]
    for principal in _darlington():
        assert principal.objectives.exists(), principal
        assert principal.committee.name == "Executive"
        # Nothing the source does not state.
        assert principal.target is None and principal.category == "" and principal.tolerance is None
        assert not principal.gaps.exists()


def test_the_controls_are_the_mitigations_sentence_by_sentence_as_printed():
    source = " ".join(seed_source(SOURCE).split())
    for principal in _darlington():
        controls = list(principal.controls.order_by("pk"))
        assert " ".join(c.description for c in controls) == principal.risk.mitigation
        for control in controls:
            assert control.description in source
            assert control.effectiveness == "" and control.owner == ""
            assert not control.assurances.exists()
    assert Control.objects.filter(principal_risk__in=_darlington()).count() == 20


def test_the_executive_oversees_the_risks_as_the_source_says():
    committee = Committee.objects.get(organisation__slug="nhs-darlington-ccg")
    assert committee.purpose in " ".join(seed_source(SOURCE).split())
    assert re.search(r"overseen by our Executive", committee.purpose)


def test_loading_again_adds_nothing_and_keeps_what_people_recorded(admin_user):
    control = Control.objects.filter(principal_risk__in=_darlington()).order_by("pk").first()
    services.control_edit(
        pk=control.pk,
        acting_user=admin_user,
        expected_version=control.version,
        changes={"effectiveness": "partly", "owner": "Chief Officer"},
        note="Judged at the Executive.",
    )
    counts = (PrincipalRisk.objects.count(), Control.objects.count(), StrategicObjective.objects.count())
    result = load_seed()
    assert result.added == 0
    assert (
        PrincipalRisk.objects.count(),
        Control.objects.count(),
        StrategicObjective.objects.count(),
    ) == counts
    control.refresh_from_db()
    assert (control.effectiveness, control.owner) == ("partly", "Chief Officer")


def test_the_risks_are_the_registers():
    assert set(_darlington().values_list("risk_id", flat=True)) == set(
        Risk.objects.filter(organisation__slug="nhs-darlington-ccg").values_list("pk", flat=True)
    )
