"""Organisation administrators: the permission rules and the people services (issue 11, part 2)."""

import datetime
import re
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from pghistory.models import Events

from apps.organisations import permissions, services
from apps.organisations.models import Membership, MembershipChange, Organisation
from apps.organisations.tokens import InvitationTokenGenerator, invitation_tokens
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role
Action = MembershipChange.Action
LINK_BASE = "https://ccgtrack.example"
LINK = re.compile(r"https://ccgtrack\.example/accounts/invitation/(?P<uidb64>[^/\s]+)/(?P<token>[^/\s]+)/")


class RefusingMailServer(BaseEmailBackend):
    """A mail server that is down: every send fails as smtplib fails."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def member(username, organisation, role, **user_fields):
    user = UserFactory(username=username, email=f"{username}@nhs.example", **user_fields)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def poole_bay(db):
    return Organisation.objects.get(slug="poole-bay")  # a locality, two levels beneath Dorset


@pytest.fixture
def orgadmin_dorset(dorset):
    return member("t.orgadmin.dorset", dorset, Role.ORG_ADMIN)


@pytest.fixture
def orgadmin_darlington(darlington):
    return member("t.orgadmin.darlington", darlington, Role.ORG_ADMIN)


# --- the rules ---------------------------------------------------------------------------------


def test_an_org_admin_manages_their_organisation_and_everything_beneath_it_only(
    orgadmin_dorset, dorset, darlington, poole_bay
):
    assert permissions.can_manage_people(orgadmin_dorset, dorset)
    assert permissions.can_manage_people(orgadmin_dorset, poole_bay)
    assert not permissions.can_manage_people(orgadmin_dorset, dorset.parent)
    assert not permissions.can_manage_people(orgadmin_dorset, darlington)


def test_an_org_admin_holds_staff_rights_and_staff_or_board_members_manage_nobody(
    orgadmin_dorset, staff_dorset, board_dorset, dorset, poole_bay
):
    assert permissions.can_edit(orgadmin_dorset, dorset) and permissions.can_edit(orgadmin_dorset, poole_bay)
    assert not permissions.can_manage_people(staff_dorset, dorset)
    assert not permissions.can_manage_people(board_dorset, dorset)
    assert not permissions.manages_any_organisation(staff_dorset)
    assert permissions.manages_any_organisation(orgadmin_dorset)


def test_roles_are_grantable_up_to_the_highest_held_and_only_where_one_manages(
    orgadmin_dorset, staff_dorset, admin_user, dorset, darlington, poole_bay
):
    everything = [Role.GOVERNING_BODY, Role.STAFF, Role.ORG_ADMIN]
    assert permissions.grantable_roles(orgadmin_dorset, dorset) == everything
    assert permissions.grantable_roles(orgadmin_dorset, poole_bay) == everything
    assert permissions.grantable_roles(orgadmin_dorset, darlington) == []
    assert permissions.grantable_roles(staff_dorset, dorset) == []
    assert permissions.grantable_roles(admin_user, darlington) == everything
    # A locality's administrator manages the locality, never the CCG above it.
    locality_admin = member("t.orgadmin.poole", poole_bay, Role.ORG_ADMIN)
    assert permissions.grantable_roles(locality_admin, poole_bay) == everything
    assert permissions.grantable_roles(locality_admin, dorset) == []


def test_an_inactive_org_admin_manages_nothing(orgadmin_dorset, dorset):
    orgadmin_dorset.is_active = False
    orgadmin_dorset.save()
    assert not permissions.can_manage_people(orgadmin_dorset, dorset)


# --- invitations -------------------------------------------------------------------------------


def test_inviting_a_new_address_creates_an_account_without_a_password_and_sends_a_one_time_link(
    orgadmin_dorset, dorset, poole_bay
):
    membership = services.membership_invite(
        acting_user=orgadmin_dorset,
        organisation=poole_bay,
        email="New.Person@NHS.example",
        role=Role.STAFF,
        first_name="New",
        last_name="Person",
        link_base=LINK_BASE,
    )
    user = membership.user
    assert (user.username, user.email, user.get_full_name()) == (
        "new.person@nhs.example",
        "new.person@nhs.example",
        "New Person",
    )
    assert user.is_active and not user.has_usable_password()
    assert (membership.organisation, membership.role) == (poole_bay, Role.STAFF)
    change = MembershipChange.objects.get(user=user)
    assert (change.action, change.acting_user, change.organisation, change.role_after) == (
        Action.INVITED,
        orgadmin_dorset,
        poole_bay,
        Role.STAFF,
    )
    event = Events.objects.tracks(membership).get()
    assert event.pgh_label == "insert" and event.pgh_context["user"] == orgadmin_dorset.pk
    assert change.audit_context_id == event.pgh_context_id
    [message] = mail.outbox
    assert message.to == ["new.person@nhs.example"]
    assert "Poole Bay" in message.subject or poole_bay.name in message.subject
    match = LINK.search(message.body)
    assert match and invitation_tokens.check_token(user, match["token"])
    assert "new.person@nhs.example" in message.body  # the username to log in with


def test_inviting_an_existing_account_adds_a_membership_and_says_so_without_a_link(
    orgadmin_dorset, staff_darlington, dorset
):
    staff_darlington.email = "darlington.staff@nhs.example"
    staff_darlington.save()
    membership = services.membership_invite(
        acting_user=orgadmin_dorset,
        organisation=dorset,
        email="Darlington.Staff@nhs.example",
        role=Role.GOVERNING_BODY,
        link_base=LINK_BASE,
    )
    assert membership.user == staff_darlington
    assert MembershipChange.objects.get(user=staff_darlington).action == Action.ADDED
    [message] = mail.outbox
    assert not LINK.search(message.body) and "Log in as usual" in message.body
    assert staff_darlington.memberships.count() == 2


@pytest.mark.parametrize(
    "case, message",
    [
        ("already a member", "already belongs here"),
        ("shared address", "Several accounts use this address"),
        ("deactivated", "deactivated"),
        ("administrator", "administrator"),
        ("role not offered", "cannot give that role"),
    ],
)
def test_an_invitation_that_breaks_a_rule_changes_nothing_and_says_why(
    case, message, orgadmin_dorset, staff_dorset, admin_user, dorset
):
    email, role = "someone@nhs.example", Role.STAFF
    if case == "already a member":
        email = staff_dorset.email = "t.staff.dorset@nhs.example"
        staff_dorset.save()
    elif case == "shared address":
        UserFactory(username="twin.a", email=email)
        UserFactory(username="twin.b", email=email.upper())
    elif case == "deactivated":
        UserFactory(username="gone", email=email, is_active=False)
    elif case == "administrator":
        admin_user.email = email
        admin_user.save()
    elif case == "role not offered":
        role = "superuser"
    users, memberships = get_user_model().objects.count(), Membership.objects.count()
    with pytest.raises(ValidationError) as error:
        services.membership_invite(
            acting_user=orgadmin_dorset, organisation=dorset, email=email, role=role, link_base=LINK_BASE
        )
    assert message in " ".join(error.value.messages)
    assert (get_user_model().objects.count(), Membership.objects.count()) == (users, memberships)
    assert not MembershipChange.objects.exists() and not mail.outbox


def test_nobody_can_invite_to_an_organisation_they_do_not_manage(orgadmin_dorset, staff_dorset, darlington):
    for actor in (orgadmin_dorset, staff_dorset):
        with pytest.raises(PermissionDenied):
            services.membership_invite(
                acting_user=actor,
                organisation=darlington,
                email="x@nhs.example",
                role=Role.STAFF,
                link_base="",
            )
    assert not get_user_model().objects.filter(email="x@nhs.example").exists()
    assert not MembershipChange.objects.exists() and not mail.outbox


def test_a_mail_server_that_refuses_the_invitation_keeps_the_change_and_says_so(
    orgadmin_dorset, dorset, settings
):
    """The email is sent after the change commits (issue 24.4), so a refusing mail server no
    longer undoes it: the person is invited, the service says the email did not go, and the
    invitation can be sent again."""
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    with pytest.raises(services.EmailNotSent, match="could not be sent") as not_sent:
        services.membership_invite(
            acting_user=orgadmin_dorset,
            organisation=dorset,
            email="unlucky@nhs.example",
            role=Role.STAFF,
            link_base=LINK_BASE,
        )
    user = get_user_model().objects.get(email="unlucky@nhs.example")
    assert not_sent.value.result.user == user
    assert MembershipChange.objects.filter(user=user, action=Action.INVITED).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.invitation_resend(
        acting_user=orgadmin_dorset, scope=dorset, user_id=user.pk, link_base=LINK_BASE
    )
    assert mail.outbox[-1].to == ["unlucky@nhs.example"]


class LockCheckingMailServer(BaseEmailBackend):
    """A mail server that, while it is being spoken to, checks from another database session
    that the invitation is committed and that no row of it is locked."""

    seen: list = []

    def send_messages(self, email_messages):
        from django.db import connections

        connection = connections.create_connection("default")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
                user = email_messages[0].to[0]
                cursor.execute(
                    "SELECT id FROM auth_user WHERE email = %s FOR UPDATE NOWAIT", [user]
                )  # fails while the service's transaction holds the row
                type(self).seen.append(cursor.fetchone() is not None)
        finally:
            connection.close()
        return len(email_messages)


@pytest.mark.django_db(transaction=True)
def test_invitations_are_emailed_after_the_change_commits_and_holding_no_lock(settings):
    """As a real request runs it (autocommit): while the mail server is spoken to, the new
    account is already committed and no row lock is held."""
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    admin = member("t.orgadmin.commit", dorset, Role.ORG_ADMIN)
    settings.EMAIL_BACKEND = f"{__name__}.LockCheckingMailServer"
    LockCheckingMailServer.seen = []
    membership = services.membership_invite(
        acting_user=admin, organisation=dorset, email="committed@nhs.example", role=Role.STAFF, link_base=""
    )
    services.invitation_resend(acting_user=admin, scope=dorset, user_id=membership.user_id, link_base="")
    assert LockCheckingMailServer.seen == [True, True]


def test_sending_the_invitation_again_retires_the_earlier_link(orgadmin_dorset, dorset):
    membership = services.membership_invite(
        acting_user=orgadmin_dorset,
        organisation=dorset,
        email="late@nhs.example",
        role=Role.STAFF,
        link_base=LINK_BASE,
    )
    first = LINK.search(mail.outbox[0].body)["token"]
    services.invitation_resend(
        acting_user=orgadmin_dorset, scope=dorset, user_id=membership.user_id, link_base=LINK_BASE
    )
    user = get_user_model().objects.get(pk=membership.user_id)
    second = LINK.search(mail.outbox[1].body)["token"]
    assert not invitation_tokens.check_token(user, first)
    assert invitation_tokens.check_token(user, second)
    assert MembershipChange.objects.filter(user=user, action=Action.INVITATION_RESENT).count() == 1


def test_resending_to_someone_who_set_a_password_is_refused(orgadmin_dorset, staff_dorset, dorset):
    with pytest.raises(ValidationError, match="already set a password"):
        services.invitation_resend(
            acting_user=orgadmin_dorset, scope=dorset, user_id=staff_dorset.pk, link_base=""
        )
    assert not mail.outbox


def test_an_invitation_link_expires_after_seven_days_and_dies_with_the_account(orgadmin_dorset, dorset):
    membership = services.membership_invite(
        acting_user=orgadmin_dorset,
        organisation=dorset,
        email="slow@nhs.example",
        role=Role.STAFF,
        link_base=LINK_BASE,
    )
    user = membership.user
    token = LINK.search(mail.outbox[0].body)["token"]
    issued = datetime.datetime.now()

    def checked_at(moment):
        generator = InvitationTokenGenerator()
        generator._now = lambda: moment
        return generator.check_token(user, token)

    assert checked_at(issued + datetime.timedelta(days=6, hours=23))
    assert not checked_at(issued + datetime.timedelta(days=7, minutes=1))
    assert not InvitationTokenGenerator().check_token(user, token.replace("-", "-0"))
    user.is_active = False
    assert not invitation_tokens.check_token(user, token)


# --- roles, removals, deactivation ---------------------------------------------------------------


def test_changing_a_role_is_audited_with_before_and_after(orgadmin_dorset, staff_dorset, dorset):
    membership = staff_dorset.memberships.get()
    services.membership_change_role(
        acting_user=orgadmin_dorset, scope=dorset, membership_id=membership.pk, role=Role.GOVERNING_BODY
    )
    membership.refresh_from_db()
    assert membership.role == Role.GOVERNING_BODY
    change = MembershipChange.objects.get()
    assert (change.action, change.role_before, change.role_after, change.acting_user) == (
        Action.ROLE_CHANGED,
        Role.STAFF,
        Role.GOVERNING_BODY,
        orgadmin_dorset,
    )
    event = Events.objects.tracks(membership).filter(pgh_label="update").get()
    assert event.pgh_diff["role"] == [Role.STAFF, Role.GOVERNING_BODY]
    assert event.pgh_context_id == change.audit_context_id


def test_an_org_admin_cannot_change_their_own_membership_nor_an_administrators(
    orgadmin_dorset, admin_user, dorset
):
    own = orgadmin_dorset.memberships.get()
    admins = MembershipFactory(user=admin_user, organisation=dorset, role=Role.STAFF)
    for membership in (own, admins):
        with pytest.raises(ValidationError):
            services.membership_change_role(
                acting_user=orgadmin_dorset,
                scope=dorset,
                membership_id=membership.pk,
                role=Role.GOVERNING_BODY,
            )
        with pytest.raises(ValidationError):
            services.membership_remove(acting_user=orgadmin_dorset, scope=dorset, membership_id=membership.pk)
    assert own.role == Membership.objects.get(pk=own.pk).role == Role.ORG_ADMIN
    assert Membership.objects.filter(pk=admins.pk, role=Role.STAFF).exists()
    assert not MembershipChange.objects.exists()


def test_another_organisations_membership_is_not_found_from_any_scope(
    orgadmin_dorset, orgadmin_darlington, staff_darlington, dorset, darlington
):
    theirs = staff_darlington.memberships.get()
    with pytest.raises(ObjectDoesNotExist):  # from Dorset's page: not among Dorset's people
        services.membership_remove(acting_user=orgadmin_dorset, scope=dorset, membership_id=theirs.pk)
    with pytest.raises(PermissionDenied):  # from Darlington's page: not Darlington's administrator
        services.membership_remove(acting_user=orgadmin_dorset, scope=darlington, membership_id=theirs.pk)
    # Darlington's administrator cannot reach Dorset's people through Darlington's page either.
    dorset_membership = orgadmin_dorset.memberships.get()
    with pytest.raises(ObjectDoesNotExist):
        services.membership_change_role(
            acting_user=orgadmin_darlington,
            scope=darlington,
            membership_id=dorset_membership.pk,
            role=Role.STAFF,
        )
    assert Membership.objects.filter(pk=theirs.pk).exists()
    assert Membership.objects.get(pk=dorset_membership.pk).role == Role.ORG_ADMIN


def test_removing_a_membership_keeps_the_account_and_the_history(orgadmin_dorset, staff_dorset, dorset):
    membership = staff_dorset.memberships.get()
    services.membership_remove(acting_user=orgadmin_dorset, scope=dorset, membership_id=membership.pk)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    staff_dorset.refresh_from_db()
    assert staff_dorset.is_active
    change = MembershipChange.objects.get()
    assert (change.action, change.role_before, change.user, change.organisation) == (
        Action.REMOVED,
        Role.STAFF,
        staff_dorset,
        dorset,
    )
    assert Events.objects.filter(pgh_context_id=change.audit_context_id, pgh_label="delete").count() == 1


def test_deactivating_an_account_that_belongs_only_here_and_reactivating_it(
    orgadmin_dorset, staff_dorset, dorset, poole_bay, client
):
    MembershipFactory(user=staff_dorset, organisation=poole_bay, role=Role.GOVERNING_BODY)
    client.force_login(staff_dorset)
    services.account_deactivate(acting_user=orgadmin_dorset, scope=dorset, user_id=staff_dorset.pk)
    staff_dorset.refresh_from_db()
    assert not staff_dorset.is_active
    assert staff_dorset.memberships.count() == 2  # kept: the page shows them as deactivated
    assert set(MembershipChange.objects.values_list("action", "organisation__slug")) == {
        (Action.DEACTIVATED, "nhs-dorset-ccg"),
        (Action.DEACTIVATED, "poole-bay"),
    }
    assert client.get("/").status_code == 302  # the session no longer authenticates
    assert not permissions.can_view(staff_dorset, dorset)
    services.account_reactivate(acting_user=orgadmin_dorset, scope=dorset, user_id=staff_dorset.pk)
    staff_dorset.refresh_from_db()
    assert staff_dorset.is_active


def test_an_account_that_also_belongs_elsewhere_is_not_deactivated(
    orgadmin_dorset, staff_dorset, darlington, dorset
):
    MembershipFactory(user=staff_dorset, organisation=darlington, role=Role.STAFF)
    with pytest.raises(ValidationError, match="also belongs to an organisation you do not manage"):
        services.account_deactivate(acting_user=orgadmin_dorset, scope=dorset, user_id=staff_dorset.pk)
    staff_dorset.refresh_from_db()
    assert staff_dorset.is_active and not MembershipChange.objects.exists()


def test_an_account_with_no_membership_here_is_not_found(
    orgadmin_dorset, staff_darlington, no_role_user, dorset
):
    for user in (staff_darlington, no_role_user):
        with pytest.raises(ObjectDoesNotExist):
            services.account_deactivate(acting_user=orgadmin_dorset, scope=dorset, user_id=user.pk)
        user.refresh_from_db()
        assert user.is_active
