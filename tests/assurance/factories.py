"""Factories of the Board Assurance Framework, with deterministic defaults."""

import factory

from apps.assurance.models import (
    Assurance,
    Category,
    Committee,
    Control,
    Effectiveness,
    Gap,
    GapKind,
    Level,
    Line,
    PrincipalRisk,
    RiskAppetite,
    StrategicObjective,
)
from tests.factories import OrganisationFactory
from tests.risks.factories import RiskFactory


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Committee {n}")


class RiskAppetiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskAppetite

    organisation = factory.SubFactory(OrganisationFactory)
    category = Category.FINANCE
    level = "cautious"
    tolerance = 8


class StrategicObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategicObjective

    organisation = factory.SubFactory(OrganisationFactory)
    text = factory.Sequence(lambda n: f"Strategic objective {n}")
    executive_lead = "Chief Officer"
    position = factory.Sequence(lambda n: n + 1)


class PrincipalRiskFactory(factory.django.DjangoModelFactory):
    """A principal risk of a risk rated 4 x 4 (current 4 x 3 = 12), target 2 x 2."""

    class Meta:
        model = PrincipalRisk
        skip_postgeneration_save = True

    risk = factory.SubFactory(
        RiskFactory, severity=4, likelihood=4, residual_severity=4, residual_likelihood=3
    )
    target_severity = 2
    target_likelihood = 2
    category = Category.FINANCE

    @factory.post_generation
    def objectives(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = [StrategicObjectiveFactory(organisation=self.risk.organisation)]
        self.objectives.set(extracted)


class ControlFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Control

    principal_risk = factory.SubFactory(PrincipalRiskFactory)
    description = factory.Sequence(lambda n: f"Control {n}")
    owner = "Chief Finance Officer"
    effectiveness = Effectiveness.PARTLY


class AssuranceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assurance

    control = factory.SubFactory(ControlFactory)
    description = factory.Sequence(lambda n: f"Internal audit report {n}")
    line = Line.INDEPENDENT
    level = Level.REASONABLE


class GapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gap

    principal_risk = factory.SubFactory(PrincipalRiskFactory)
    kind = GapKind.CONTROL
    description = factory.Sequence(lambda n: f"Gap {n}")
