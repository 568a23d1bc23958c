import factory

from apps.risks.models import Risk
from tests.factories import OrganisationFactory


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Risk

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"G{n}")
    category = "Generated"
    description = factory.Sequence(lambda n: f"Generated risk {n}")
    severity = factory.Sequence(lambda n: n % 5 + 1)
    likelihood = factory.Sequence(lambda n: (n // 5) % 5 + 1)
    residual_severity = 1
    residual_likelihood = 1
