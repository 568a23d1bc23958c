"""factory-boy factories with deterministic defaults, shared by every test package."""

import factory
from django.contrib.auth import get_user_model

from apps.organisations.models import Membership, Organisation


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.django.Password("correct horse battery staple")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.CCG
    name = factory.Sequence(lambda n: f"NHS Test {n} CCG")
    slug = factory.Sequence(lambda n: f"nhs-test-{n}-ccg")


class LatFactory(OrganisationFactory):
    kind = Organisation.Kind.LAT
    name = factory.Sequence(lambda n: f"Test local area team {n}")
    slug = factory.Sequence(lambda n: f"test-lat-{n}")
    population_thousands = factory.Sequence(lambda n: 1000 + n)
    ccg_count = 4
    hwb_count = 3


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.STAFF


def domain_pks(*numbers):
    """The primary keys (as a form sends them) of the authorisation domains numbered ``numbers``:
    the seed gives domains no fixed keys, so they change whenever a test reloads the seed."""
    from apps.plans.models import AuthorisationDomain

    pks = dict(AuthorisationDomain.objects.filter(number__in=numbers).values_list("number", "pk"))
    return [str(pks[number]) for number in numbers]


def bulk_create_batch(factory_class, size, **kwargs):
    """What ``factory_class.create_batch(size, **kwargs)`` makes (the factory's sequences and
    defaults), saved in one INSERT: for the tests that need thousands of rows, not the saves one
    by one (each a round trip with its audit trigger). ``kwargs`` must give every related
    record (a theme, an organisation): ones the factory would make are not saved."""
    return factory_class._meta.model.objects.bulk_create(factory_class.build_batch(size, **kwargs))
