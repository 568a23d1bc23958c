"""Single sign-on end to end against a real OpenID provider (django-oauth-toolkit on the live
server, tests/signon/provider.py): every sign-on here goes through the provider's authorization
endpoint, and ccgtrack's backend exchanges the code at its token endpoint and reads its keys
over HTTP. Who gets in, who is refused, and that a refusal writes nothing."""

from http import HTTPStatus

import pytest
from axes.models import AccessLog
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from apps.core.login_throttle import KNOWN_DEVICE_COOKIE
from apps.organisations.models import Membership, MembershipChange, Organisation
from apps.signon.models import AllowedDomain
from tests.factories import MembershipFactory, UserFactory
from tests.signon.provider import identity

User = get_user_model()


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def counts():
    return (User.objects.count(), Membership.objects.count(), MembershipChange.objects.count())


@pytest.fixture
def dorset(transactional_db):
    return Organisation.objects.get(slug="nhs-dorset-ccg")


def invite(dorset, email, role=Membership.Role.STAFF):
    """An invited person as the people page leaves them: an account with no usable password."""
    user = UserFactory(username=email, email=email)
    user.set_unusable_password()
    user.save()
    MembershipFactory(user=user, organisation=dorset, role=role)
    return user


def test_an_invited_person_signs_on_and_their_invitation_is_accepted(oidc_provider, client, dorset):
    sam = invite(dorset, "sam.staff@nhs.example")
    identity("idp.sam", email="Sam.Staff@NHS.example", email_verified=True)
    response = oidc_provider.sign_on(client, "idp.sam")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/"
    assert client.get("/").wsgi_request.user == sam
    sam.refresh_from_db()
    assert sam.last_login is not None and not sam.has_usable_password()
    accepted = MembershipChange.objects.get(user=sam, action=MembershipChange.Action.INVITATION_ACCEPTED)
    assert accepted.organisation == dorset and accepted.acting_user == sam
    # Recorded as a password sign-in is: the access log, and this browser known as Sam's.
    assert AccessLog.objects.filter(username=sam.username).count() == 1
    assert KNOWN_DEVICE_COOKIE in response.cookies
    # A second sign-on accepts nothing again.
    client.logout()
    oidc_provider.sign_on(client, "idp.sam")
    assert MembershipChange.objects.filter(user=sam, action="invitation_accepted").count() == 1
