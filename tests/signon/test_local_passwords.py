"""LOCAL_PASSWORDS=false: the password form is gone and a posted password refused, on the
sign-in page, the invitation page and the admin's login (but a superuser's there, the
break-glass); single sign-on still works. And the sign-in throttle with single sign-on on."""

import re
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from apps.organisations.models import Membership
from tests.conftest import PASSWORD
from tests.core.test_settings import _manage
from tests.factories import MembershipFactory, UserFactory
from tests.signon.provider import identity
from tests.signon.test_sign_on import invite

User = get_user_model()


@pytest.fixture
def passwords_off(oidc_provider, settings):
    settings.LOCAL_PASSWORDS = False
    return oidc_provider


def signed_in(client):
    return client.get("/accounts/login/").wsgi_request.user.is_authenticated


def test_the_sign_in_page_has_no_password_form_and_refuses_a_posted_password(passwords_off, client, dorset):
    user = UserFactory(username="pat", email="pat@dorset.example")
    MembershipFactory(user=user, organisation=dorset)
    page = client.get("/accounts/login/").content.decode()
    assert 'id="single-sign-on"' in page
    assert 'name="password"' not in page and 'action="/accounts/login/"' not in page
    response = client.post("/accounts/login/", {"username": "pat", "password": PASSWORD})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "does not take passwords" in response.content.decode()
    assert not signed_in(client)
    # Single sign-on lets the same person in.
    identity("idp.pat", email="pat@dorset.example", email_verified=True)
    passwords_off.sign_on(client, "idp.pat")
    assert client.get("/accounts/login/").wsgi_request.user == user


def test_an_invitation_is_accepted_by_signing_on_not_by_setting_a_password(passwords_off, client, dorset):
    admin = UserFactory(username="t.orgadmin", email="ada@dorset.example")
    MembershipFactory(user=admin, organisation=dorset, role=Membership.Role.ORG_ADMIN)
    client.force_login(admin)
    client.post(
        f"/organisations/{dorset.slug}/people/invite/",
        {"email": "sam@dorset.example", "organisation": dorset.pk, "role": "staff"},
    )
    [email] = mail.outbox
    assert "Sign in with NHSmail / Microsoft" in email.body and "Set your password" not in email.body
    link = re.search(r"http://\S+/accounts/invitation/\S+/", email.body)[0]
    client.logout()
    page = client.get(link, follow=True)
    assert (
        'id="single-sign-on"' in page.content.decode() and 'name="new_password1"' not in page.content.decode()
    )
    refused = client.post(
        page.redirect_chain[-1][0], {"new_password1": "A-long-pass-2026", "new_password2": "A-long-pass-2026"}
    )
    assert refused.status_code == HTTPStatus.FORBIDDEN
    sam = User.objects.get(email="sam@dorset.example")
    assert not sam.has_usable_password()
    identity("idp.sam", email="sam@dorset.example", email_verified=True)
    passwords_off.sign_on(client, "idp.sam")
    assert client.get("/accounts/login/").wsgi_request.user == sam


def test_the_admin_login_takes_a_superusers_password_only(passwords_off, client):
    """The break-glass: when the sign-in service is down, a superuser still reaches the admin."""
    UserFactory(username="root", is_superuser=True, is_staff=True)
    UserFactory(username="helpdesk", is_staff=True)  # the admin's staff, not a superuser
    for username in ("helpdesk", "nobody"):
        response = client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})
        assert response.status_code == HTTPStatus.OK and not signed_in(client)
    # The superuser's password is refused on the product's sign-in page ...
    assert client.post("/accounts/login/", {"username": "root", "password": PASSWORD}).status_code == 403
    assert not signed_in(client)
    # ... and accepted at the admin's.
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND and signed_in(client)


def test_with_passwords_on_both_ways_are_offered(oidc_provider, client, dorset):
    UserFactory(username="pat")
    page = client.get("/accounts/login/").content.decode()
    assert 'id="single-sign-on"' in page and 'name="password"' in page
    assert client.post("/accounts/login/", {"username": "pat", "password": PASSWORD}).status_code == 302


def test_passwords_cannot_be_turned_off_without_single_sign_on():
    result = _manage(
        "check",
        env_overrides={"DEBUG": "1", "LOCAL_PASSWORDS": "false", "OIDC_ISSUER": "", "OIDC_CLIENT_ID": ""},
    )
    assert result.returncode != 0
    assert "LOCAL_PASSWORDS=false needs single sign-on" in result.stderr


# --- The sign-in throttle with single sign-on on --------------------------------------------


def test_wrong_passwords_are_still_throttled_with_single_sign_on_on(oidc_provider, client, settings):
    UserFactory(username="pat")
    limit = settings.LOGIN_FAILURE_LIMITS[("username", "ip_address")]
    codes = [
        client.post("/accounts/login/", {"username": "pat", "password": "wrong"}).status_code
        for _ in range(limit + 1)
    ]
    assert codes == [HTTPStatus.OK] * (limit - 1) + [HTTPStatus.TOO_MANY_REQUESTS] * 2


def test_a_sign_on_is_not_refused_by_password_guesses_at_its_address(oidc_provider, client, dorset, settings):
    """Guesses at someone's ccgtrack password lock out passwords, not their sign-on: the
    provider checked who they are (and throttles its own passwords)."""
    sam = invite(dorset, "sam@dorset.example")
    identity("idp.sam", email="sam@dorset.example", email_verified=True)
    for _ in range(settings.LOGIN_FAILURE_LIMITS[("username", "ip_address")]):
        client.post("/accounts/login/", {"username": sam.username, "password": "wrong"})
    assert client.post("/accounts/login/", {"username": sam.username, "password": "x"}).status_code == 429
    oidc_provider.sign_on(client, "idp.sam")
    assert client.get("/accounts/login/").wsgi_request.user == sam
