"""The people page and the invitation link (issue 11, part 2), through the test client."""

import re
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from apps.organisations import permissions
from apps.organisations.models import Membership, MembershipChange, Organisation
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role
LINK = re.compile(r"http://testserver(?P<path>/accounts/invitation/[^/\s]+/[^/\s]+/)")
PEOPLE = reverse("organisations:people", args=["nhs-dorset-ccg"])


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


@pytest.fixture
def as_orgadmin(client, orgadmin_dorset):
    client.force_login(orgadmin_dorset)
    return client


def _invite(client, **data):
    payload = {
        "email": "new.starter@nhs.example",
        "first_name": "New",
        "last_name": "Starter",
        "organisation": Organisation.objects.get(slug="nhs-dorset-ccg").pk,
        "role": Role.STAFF,
    }
    payload.update(data)
    return client.post(reverse("organisations:people_invite", args=["nhs-dorset-ccg"]), payload)


# --- the page ------------------------------------------------------------------------------------


def test_the_page_lists_the_organisation_and_everything_beneath_and_nothing_else(
    as_orgadmin, staff_dorset, staff_darlington
):
    locality_member = member("t.poole", Organisation.objects.get(slug="poole-bay"), Role.GOVERNING_BODY)
    response = as_orgadmin.get(PEOPLE)
    assert response.status_code == HTTPStatus.OK
    listed = {m.user for m in response.context["memberships"]}
    assert listed == {staff_dorset, locality_member, response.wsgi_request.user}
    html = response.content.decode()
    assert "t.staff.darlington" not in html
    assert f'id="membership-{staff_dorset.memberships.get().pk}"' in html
    # Your own row has no controls.
    own = response.wsgi_request.user.memberships.get()
    own_row = html.split(f'id="membership-{own.pk}"')[1].split("</tr>")[0]
    assert "<form" not in own_row and "You (ask another administrator" in own_row


def test_the_page_uses_a_fixed_number_of_queries(as_orgadmin, dorset, django_assert_max_num_queries):
    for n in range(40):
        user = member(f"t.bulk{n}", dorset, Role.STAFF)
        MembershipChange.objects.create(
            organisation=dorset, user=user, user_label=user.username, action="invited"
        )
    with django_assert_max_num_queries(15):  # the same with 1 member; session and header included
        response = as_orgadmin.get(PEOPLE)
    assert len(response.context["memberships"]) == 41
    assert len(response.context["changes"]) == 40


@pytest.mark.parametrize("who", ["staff_dorset", "board_dorset", "orgadmin_darlington", "no_role_user"])
def test_only_the_organisations_administrators_open_the_page(client, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(PEOPLE).status_code == HTTPStatus.FORBIDDEN


def test_anonymous_visitors_are_sent_to_log_in(client, dorset):
    response = client.get(PEOPLE)
    assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response["Location"]


def test_an_administrator_opens_any_organisations_page(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("organisations:people", args=["nhs-darlington-ccg"])).status_code == 200


# --- invitations through the page ------------------------------------------------------------------


def test_an_invitation_sends_a_link_that_sets_a_password_and_lands_on_the_dashboard(as_orgadmin, client):
    response = _invite(as_orgadmin)
    assert response.status_code == HTTPStatus.FOUND
    page = as_orgadmin.get(PEOPLE).content.decode()
    assert "new.starter@nhs.example" in page and "Invitation pending" in page
    assert "Invited" in page.split('id="people-changes"')[1]
    [message] = mail.outbox
    link = LINK.search(message.body)["path"]
    client.logout()

    opened = client.get(link)  # the token moves into the session; the URL no longer carries it
    assert opened.status_code == HTTPStatus.FOUND and opened["Location"].endswith("/set-password/")
    form_page = client.get(opened["Location"])
    assert form_page.status_code == 200 and "new.starter@nhs.example" in form_page.content.decode()
    mismatch = client.post(
        opened["Location"], {"new_password1": "a-long-new-password-1", "new_password2": "another-one-22"}
    )
    assert mismatch.status_code == 200 and "not set" in mismatch.content.decode()
    done = client.post(
        opened["Location"],
        {"new_password1": "a-long-new-password-1", "new_password2": "a-long-new-password-1"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("dashboards:organisation", args=["nhs-dorset-ccg"])
    user = get_user_model().objects.get(email="new.starter@nhs.example")
    assert done.wsgi_request.user == user and user.check_password("a-long-new-password-1")
    assert MembershipChange.objects.filter(user=user, action="invitation_accepted").count() == 1

    client.logout()
    again = client.get(link, follow=True)
    assert "This invitation link is not valid" in again.content.decode()


def test_a_forged_or_broken_link_shows_the_not_valid_page_and_sets_nothing(client, as_orgadmin):
    _invite(as_orgadmin)
    link = LINK.search(mail.outbox[0].body)["path"]
    client.logout()
    for bad in (
        link[:-3] + "xx/",
        link.replace("/invitation/", "/invitation/Zm9v"),
        "/accounts/invitation/!!/1-2/",
    ):
        response = client.get(bad)
        assert response.status_code == 200 and "not valid" in response.content.decode()
    assert not get_user_model().objects.get(email="new.starter@nhs.example").has_usable_password()


def test_a_removed_invitee_cannot_use_their_link(client, as_orgadmin):
    _invite(as_orgadmin)
    link = LINK.search(mail.outbox[0].body)["path"]
    membership = Membership.objects.get(user__email="new.starter@nhs.example")
    as_orgadmin.post(reverse("organisations:people_remove", args=["nhs-dorset-ccg", membership.pk]))
    client.logout()
    assert "not valid" in client.get(link, follow=True).content.decode()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"role": "superuser"}, "role"),
        ({"organisation": "999999"}, "organisation"),
        ({"first_name": "x" * 151}, "first_name"),
    ],
)
def test_bad_invitations_get_form_errors_and_change_nothing(as_orgadmin, data, field):
    users = get_user_model().objects.count()
    response = _invite(as_orgadmin, **data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    # The error summary lists the error, linked to its field.
    assert f'<li><a href="#id_{field}">' in response.content.decode()
    assert get_user_model().objects.count() == users and not mail.outbox
    assert not MembershipChange.objects.exists()


def test_an_invitation_to_another_organisation_is_refused_by_the_form(as_orgadmin, darlington):
    response = _invite(as_orgadmin, organisation=darlington.pk)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Membership.objects.filter(
        organisation=darlington, user__email="new.starter@nhs.example"
    ).exists()


def test_a_role_change_and_a_removal_through_the_page(as_orgadmin, staff_dorset):
    membership = staff_dorset.memberships.get()
    url = reverse("organisations:people_role", args=["nhs-dorset-ccg", membership.pk])
    assert as_orgadmin.post(url, {"role": Role.ORG_ADMIN}).status_code == HTTPStatus.FOUND
    membership.refresh_from_db()
    assert membership.role == Role.ORG_ADMIN
    assert permissions.can_manage_people(staff_dorset, membership.organisation)
    same = as_orgadmin.post(url, {"role": Role.ORG_ADMIN})
    assert same.status_code == HTTPStatus.BAD_REQUEST and "already their role" in same.content.decode()
    forged = as_orgadmin.post(url, {"role": "superuser"})
    assert forged.status_code == HTTPStatus.BAD_REQUEST
    page = as_orgadmin.get(PEOPLE).content.decode().split('id="people-changes"')[1]
    assert "Staff → <strong>Organisation administrator</strong>" in page
    remove = reverse("organisations:people_remove", args=["nhs-dorset-ccg", membership.pk])
    assert as_orgadmin.post(remove).status_code == HTTPStatus.FOUND
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_deactivation_through_the_page_is_offered_only_when_the_account_is_theirs(
    as_orgadmin, staff_dorset, darlington
):
    both = member("t.both", Organisation.objects.get(slug="nhs-dorset-ccg"), Role.STAFF)
    MembershipFactory(user=both, organisation=darlington, role=Role.STAFF)
    html = as_orgadmin.get(PEOPLE).content.decode()
    deactivate_mine = reverse("organisations:people_deactivate", args=["nhs-dorset-ccg", staff_dorset.pk])
    deactivate_both = reverse("organisations:people_deactivate", args=["nhs-dorset-ccg", both.pk])
    assert deactivate_mine in html and deactivate_both not in html
    refused = as_orgadmin.post(deactivate_both)
    assert (
        refused.status_code == HTTPStatus.BAD_REQUEST and "only an administrator" in refused.content.decode()
    )
    assert as_orgadmin.post(deactivate_mine).status_code == HTTPStatus.FOUND
    staff_dorset.refresh_from_db()
    both.refresh_from_db()
    assert not staff_dorset.is_active and both.is_active
    assert "Deactivated" in as_orgadmin.get(PEOPLE).content.decode()


# --- the permission matrix: forged posts change nothing -----------------------------------------------


ACTIONS = [
    ("people_role", "membership", {"role": Role.GOVERNING_BODY}),
    ("people_remove", "membership", {}),
    ("people_deactivate", "user", {}),
    ("people_reactivate", "user", {}),
    ("people_resend", "user", {}),
    ("people_invite", None, {"email": "forged@nhs.example", "role": Role.ORG_ADMIN}),
]


def _state():
    return (
        sorted(Membership.objects.values_list("pk", "role")),
        sorted(get_user_model().objects.values_list("pk", "is_active", "password")),
        MembershipChange.objects.count(),
        len(mail.outbox),
    )


@pytest.mark.parametrize("action, target, data", ACTIONS, ids=[a[0] for a in ACTIONS])
@pytest.mark.parametrize(
    "who, page, expected",
    [
        ("anonymous", "nhs-dorset-ccg", HTTPStatus.FOUND),  # to the login page
        ("staff_dorset", "nhs-dorset-ccg", HTTPStatus.FORBIDDEN),
        ("board_dorset", "nhs-dorset-ccg", HTTPStatus.FORBIDDEN),
        ("orgadmin_darlington", "nhs-dorset-ccg", HTTPStatus.FORBIDDEN),
        ("orgadmin_darlington", "nhs-darlington-ccg", HTTPStatus.NOT_FOUND),  # own page, Dorset's person
        ("locality_admin", "nhs-dorset-ccg", HTTPStatus.FORBIDDEN),  # the CCG is above them
    ],
)
def test_forged_posts_for_another_organisations_people_change_nothing(
    client, request, action, target, data, who, page, expected, dorset
):
    pending = UserFactory(username="t.pending", email="t.pending@nhs.example")
    pending.set_unusable_password()
    pending.save()
    membership = MembershipFactory(user=pending, organisation=dorset, role=Role.STAFF)
    if who == "locality_admin":
        actor = member("t.orgadmin.poole", Organisation.objects.get(slug="poole-bay"), Role.ORG_ADMIN)
    elif who != "anonymous":
        actor = request.getfixturevalue(who)
    if who != "anonymous":
        client.force_login(actor)
    if action == "people_invite":
        if expected == HTTPStatus.NOT_FOUND:
            expected = HTTPStatus.BAD_REQUEST  # Dorset is not among the organisations offered
        data = {**data, "organisation": dorset.pk}
        args = [page]
    else:
        args = [page, membership.pk if target == "membership" else pending.pk]
    before = _state()
    response = client.post(reverse(f"organisations:{action}", args=args), data)
    assert response.status_code == expected
    if expected == HTTPStatus.FOUND:
        assert "/accounts/login/" in response["Location"]
    assert _state() == before


def test_demo_accounts_include_an_organisation_administrator_of_dorset(settings, dorset):
    settings.DEBUG = True
    call_command("create_demo_accounts", verbosity=0)
    orgadmin = get_user_model().objects.get(username="orgadmin.dorset")
    assert orgadmin.memberships.get().role == Role.ORG_ADMIN
    assert permissions.can_manage_people(orgadmin, dorset)
    assert not permissions.is_admin(orgadmin)
    assert orgadmin.email == "orgadmin.dorset@ccgtrack.example"  # reminders reach the demo accounts


def test_an_organisation_with_nobody_shows_an_empty_list(client, admin_user):
    organisation = OrganisationFactory()
    client.force_login(admin_user)
    html = client.get(reverse("organisations:people", args=[organisation.slug])).content.decode()
    assert "Nobody belongs to" in html and "No changes have been made" in html


def test_the_organisation_page_links_the_people_page_for_those_who_manage_its_people(
    client, orgadmin_dorset, staff_dorset
):
    detail = reverse("organisations:organisation_detail", args=["nhs-dorset-ccg"])
    client.force_login(orgadmin_dorset)
    html = client.get(detail).content.decode()
    assert f'href="{PEOPLE}" id="people-link"' in html and 'id="dashboard-link"' in html
    assert html.count('id="dashboard-link"') == 1  # one link to the dashboard, one id
    client.force_login(staff_dorset)
    html = client.get(detail).content.decode()
    assert 'id="people-link"' not in html and html.count('id="dashboard-link"') == 1


def test_the_organisation_page_links_its_register_and_self_assessment_to_those_who_read_them(
    client, board_dorset, dorset
):
    """Found from the organisation itself, not only through its plan or its dashboard."""
    detail = reverse("organisations:organisation_detail", args=["nhs-dorset-ccg"])
    client.force_login(board_dorset)
    html = client.get(detail).content.decode()
    register = reverse("risks:risk_list") + f"?organisation={dorset.pk}"
    assert f'href="{register}" id="risks-link">Risk register</a>' in html
    assessment = reverse("plans:self_assessment", args=["nhs-dorset-ccg"])
    assert f'href="{assessment}" id="self-assessment-link">Self-assessment</a>' in html
    other = client.get(reverse("organisations:organisation_detail", args=["nhs-darlington-ccg"]))
    assert 'id="risks-link"' not in other.content.decode()  # not this member's to read
