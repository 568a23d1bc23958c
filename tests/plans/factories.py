import factory

from apps.plans.models import Deliverable, ODPlan, Theme
from tests.factories import OrganisationFactory


class ODPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ODPlan

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Test OD plan {n}")
    period_label = "2020-2021"


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    plan = factory.SubFactory(ODPlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Theme {n}")


class DeliverableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deliverable

    theme = factory.SubFactory(ThemeFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Generated deliverable {n}")
    status = Deliverable.Status.IN_PROGRESS
    delivered_narrative = ""
    in_progress_narrative = "Work is under way."
