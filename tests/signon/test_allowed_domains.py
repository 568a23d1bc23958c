"""The allowed email domains page and its writes (the one edit path, apps/core/edits.py):
who may allow and withdraw a domain, which domains and roles are refused, the audit trail, and
a fixed number of queries."""

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.history.audit import StaleVersionError
from apps.organisations.models import Membership, Organisation
from apps.signon import services
from apps.signon.models import AllowedDomain
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role
PAGE = "/organisations/nhs-dorset-ccg/people/domains/"


def member(username, organisation, role):
    user = UserFactory(username=username, email=f"{username}@nhs.example")
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def orgadmin_dorset(dorset):
    return member("t.orgadmin.dorset", dorset, Role.ORG_ADMIN)


@pytest.fixture
def orgadmin_darlington(darlington):
    return member("t.orgadmin.darlington", darlington, Role.ORG_ADMIN)


def allow(client, **data):
    payload = {
        "domain": "dorsetccg.nhs.uk",
        "organisation": Organisation.objects.get(slug="nhs-dorset-ccg").pk,
    }
    payload.update({"role": Role.STAFF, **data})
    return client.post(PAGE, payload)


def test_an_organisation_administrator_allows_a_domain_and_the_audit_trail_keeps_who(
    client, orgadmin_dorset, dorset
):
    client.force_login(orgadmin_dorset)
    response = allow(client, domain="  @DorsetCCG.NHS.uk ")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == PAGE
    allowed = AllowedDomain.objects.get()
    assert (allowed.domain, allowed.organisation, allowed.role) == ("dorsetccg.nhs.uk", dorset, Role.STAFF)
    [event] = allowed.events.all()
    assert event.pgh_label == "insert" and event.pgh_context.metadata["user"] == orgadmin_dorset.pk
    page = client.get(PAGE).content.decode()
    assert "dorsetccg.nhs.uk" in page and "Withdraw dorsetccg.nhs.uk" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"domain": "nhs.net"}, "shared by people of many organisations"),
        ({"domain": "not a domain"}, "Enter a domain"),
        ({"domain": ""}, ""),
        ({"role": Role.ORG_ADMIN}, "Select a valid choice"),
    ],
)
def test_bad_domains_and_roles_are_form_errors_and_nothing_is_saved(client, orgadmin_dorset, data, message):
    client.force_login(orgadmin_dorset)
    response = allow(client, **data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = response.context["form"].errors
    assert list(errors) == [next(iter(data))] and message in " ".join(errors[next(iter(data))])
    assert not AllowedDomain.objects.exists()


def test_a_domain_is_allowed_by_one_organisation_at_a_time(client, orgadmin_dorset, admin_user, darlington):
    services.allowed_domain_add(
        acting_user=admin_user, organisation=darlington, domain="shared.nhs.uk", role=Role.STAFF
    )
    client.force_login(orgadmin_dorset)
    response = allow(client, domain="Shared.nhs.uk")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Another organisation already allows this domain" in response.content.decode()
    assert AllowedDomain.objects.count() == 1


def test_nobody_gives_more_than_they_hold_nor_an_administrators_role(dorset, admin_user):
    with pytest.raises(ValidationError):
        services.allowed_domain_add(
            acting_user=admin_user, organisation=dorset, domain="a.nhs.uk", role="org_admin"
        )
    with pytest.raises(ValidationError):  # the database holds the rule too
        AllowedDomain(organisation=dorset, domain="a.nhs.uk", role="org_admin").full_clean()


@pytest.mark.parametrize("who", ["staff_dorset", "board_dorset", "orgadmin_darlington", "no_role_user"])
def test_only_the_organisations_administrators_open_the_page_or_allow(client, who, request, dorset):
    client.force_login(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == HTTPStatus.FORBIDDEN
    assert allow(client).status_code == HTTPStatus.FORBIDDEN
    assert not AllowedDomain.objects.exists()
    with pytest.raises(PermissionDenied):
        services.allowed_domain_add(
            acting_user=request.getfixturevalue(who), organisation=dorset, domain="x.nhs.uk", role=Role.STAFF
        )


def test_anonymous_visitors_are_sent_to_sign_in(client, dorset):
    response = client.get(PAGE)
    assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response["Location"]


def test_an_administrator_allows_for_any_organisation(client, admin_user, darlington):
    client.force_login(admin_user)
    response = client.post(
        "/organisations/nhs-darlington-ccg/people/domains/",
        {"domain": "darlington.nhs.uk", "organisation": darlington.pk, "role": Role.GOVERNING_BODY},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert AllowedDomain.objects.get().role == Role.GOVERNING_BODY


def test_withdrawing_a_domain_keeps_it_listed_and_stops_newcomers(client, orgadmin_dorset, dorset):
    allowed = services.allowed_domain_add(
        acting_user=orgadmin_dorset, organisation=dorset, domain="dorsetccg.nhs.uk", role=Role.STAFF
    )
    client.force_login(orgadmin_dorset)
    url = f"{PAGE}{allowed.pk}/withdraw/"
    assert client.post(url, {"version": allowed.version}).status_code == HTTPStatus.FOUND
    allowed.refresh_from_db()
    assert allowed.withdrawn_at is not None and allowed.version == 2
    assert [e.pgh_label for e in allowed.events.order_by("pgh_id")] == ["insert", "update"]
    assert "Withdrawn" in client.get(PAGE).content.decode()
    # Again, with the old version: a conflict; with the new one: already withdrawn.
    assert client.post(url, {"version": 1}).status_code == HTTPStatus.CONFLICT
    assert client.post(url, {"version": 2}).status_code == HTTPStatus.BAD_REQUEST
    assert client.post(url, {"version": "x"}).status_code == HTTPStatus.BAD_REQUEST
    # The domain can be allowed anew.
    assert allow(client).status_code == HTTPStatus.FOUND
    assert AllowedDomain.objects.filter(withdrawn_at__isnull=True).count() == 1


def test_another_organisations_domain_cannot_be_withdrawn_from_this_page(
    client, orgadmin_dorset, orgadmin_darlington, darlington
):
    theirs = services.allowed_domain_add(
        acting_user=orgadmin_darlington, organisation=darlington, domain="darlington.nhs.uk", role=Role.STAFF
    )
    client.force_login(orgadmin_dorset)
    response = client.post(f"{PAGE}{theirs.pk}/withdraw/", {"version": theirs.version})
    assert response.status_code == HTTPStatus.NOT_FOUND
    # Nor through Darlington's page, which they do not manage.
    response = client.post(
        f"/organisations/nhs-darlington-ccg/people/domains/{theirs.pk}/withdraw/", {"version": 1}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None
    with pytest.raises(StaleVersionError):
        services.allowed_domain_withdraw(
            acting_user=orgadmin_darlington, scope=darlington, pk=theirs.pk, expected_version=9
        )


@pytest.mark.parametrize("size", [1, 60])
def test_the_page_uses_a_fixed_number_of_queries(
    client, orgadmin_dorset, dorset, size, django_assert_max_num_queries
):
    AllowedDomain.objects.bulk_create(
        AllowedDomain(organisation=dorset, domain=f"d{n}.nhs.uk", role=Role.STAFF) for n in range(size)
    )
    client.force_login(orgadmin_dorset)
    with django_assert_max_num_queries(15):  # as the people page; the same for 1 and 60
        response = client.get(PAGE)
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["table"].page.object_list) == min(size, 50)


def test_the_people_page_links_the_allowed_domains(client, orgadmin_dorset):
    client.force_login(orgadmin_dorset)
    assert PAGE in client.get("/organisations/nhs-dorset-ccg/people/").content.decode()


def test_the_admin_lists_every_organisations_domains_and_changes_none(client, admin_user, dorset, darlington):
    for organisation, domain in ((dorset, "dorset.nhs.example"), (darlington, "darlington.nhs.example")):
        AllowedDomain.objects.create(organisation=organisation, domain=domain, role=Role.STAFF)
    client.force_login(admin_user)
    page = client.get("/admin/signon/alloweddomain/").content.decode()
    assert "dorset.nhs.example" in page and "darlington.nhs.example" in page
    allowed = AllowedDomain.objects.get(domain="dorset.nhs.example")
    response = client.post(f"/admin/signon/alloweddomain/{allowed.pk}/change/", {"domain": "x.nhs.example"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert client.get("/admin/signon/alloweddomain/add/").status_code == HTTPStatus.FORBIDDEN
