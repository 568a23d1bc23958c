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


def test_an_existing_account_is_matched_by_its_address_whatever_its_case(oidc_provider, client, dorset):
    pat = UserFactory(username="pat.board", email="Pat.Board@dorset.example")
    MembershipFactory(user=pat, organisation=dorset, role=Membership.Role.GOVERNING_BODY)
    identity(
        "idp.pat", email="pat.board@DORSET.example", email_verified=True, preferred_username="x@y.example"
    )
    before = counts()
    response = oidc_provider.sign_on(client, "idp.pat")
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/").wsgi_request.user == pat
    assert counts() == before  # nothing made, nothing recorded as accepted
    assert pat.has_usable_password()  # their password (if passwords are on) still works


def test_an_allowed_domain_gives_a_newcomer_an_account_with_its_role(oidc_provider, client, dorset):
    AllowedDomain.objects.create(organisation=dorset, domain="dorset.example", role=Membership.Role.STAFF)
    identity(
        "idp.new",
        email="new.person@Dorset.example",
        email_verified=True,
        given_name="New",
        family_name="Person",
    )
    response = oidc_provider.sign_on(client, "idp.new")
    assert response.status_code == HTTPStatus.FOUND
    user = User.objects.get(email="new.person@dorset.example")
    assert client.get("/").wsgi_request.user == user
    assert (user.first_name, user.last_name, user.has_usable_password()) == ("New", "Person", False)
    [membership] = Membership.objects.filter(user=user)
    assert (membership.organisation, membership.role) == (dorset, Membership.Role.STAFF)
    change = MembershipChange.objects.get(user=user)
    assert change.action == MembershipChange.Action.JOINED_BY_DOMAIN and change.acting_user == user
    assert change.audit_context.metadata["via"] == "single sign-on"
    # The people page does not take them for a pending invitation.
    admin = UserFactory(username="t.admin.sso", is_superuser=True, is_staff=True)
    client.force_login(admin)
    page = client.get(f"/organisations/{dorset.slug}/people/").content.decode()
    row = page.split(f'id="membership-{membership.pk}"')[1].split("</tr>")[0]
    assert "Invitation pending" not in row and "Send the invitation again" not in row


def test_an_unknown_address_is_refused_and_nothing_is_made(oidc_provider, client, dorset):
    AllowedDomain.objects.create(organisation=dorset, domain="dorset.example", role=Membership.Role.STAFF)
    AllowedDomain.objects.create(
        organisation=dorset,
        domain="gone.example",
        role=Membership.Role.STAFF,
        withdrawn_at="2026-01-01T00:00Z",
    )
    identity("idp.stranger", email="someone@elsewhere.example", email_verified=True)
    identity("idp.late", email="late@gone.example", email_verified=True)
    for username in ("idp.stranger", "idp.late"):
        before = counts()
        response = oidc_provider.sign_on(client, username)
        assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/accounts/login/"
        assert counts() == before
        [message] = messages_of(response)
        assert "nobody has invited that address" in message and "Ask an organisation administrator" in message
        assert not client.get("/accounts/login/").wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "sam.staff@nhs.example"},  # no verification claim
        {"email": "sam.staff@nhs.example", "email_verified": False},
        {"email": "sam.staff@nhs.example", "xms_edov": False},
        {"preferred_username": "sam.staff@nhs.example"},  # a UPN outside the trusted domains
        {},
    ],
)
def test_an_unverified_address_is_refused_even_when_it_matches(oidc_provider, client, dorset, claims):
    sam = invite(dorset, "sam.staff@nhs.example")
    identity("idp.sam", **claims)
    before = counts()
    response = oidc_provider.sign_on(client, "idp.sam")
    assert response["Location"] == "/accounts/login/"
    [message] = messages_of(response)
    assert "did not confirm that address" in message
    assert counts() == before
    sam.refresh_from_db()
    assert sam.last_login is None


def test_entra_ids_verified_claims_are_believed(oidc_provider, client, dorset, settings):
    """Microsoft Entra ID's shapes: ``xms_edov`` vouches for ``email``; an address in one of the
    tenant's verified domains (OIDC_TRUSTED_EMAIL_DOMAINS) is believed as ``email`` or as the
    user principal name in ``preferred_username``."""
    settings.OIDC_TRUSTED_EMAIL_DOMAINS = ["nhs.example"]
    people = [
        invite(dorset, f"person.{n}@{d}")
        for n, d in enumerate(["dorset.example", "nhs.example", "nhs.example"])
    ]
    identity("idp.0", email="person.0@dorset.example", xms_edov=True)
    identity("idp.1", email="person.1@nhs.example")
    identity("idp.2", preferred_username="person.2@nhs.example", email="other@elsewhere.example")
    for n, person in enumerate(people):
        client.logout()
        oidc_provider.sign_on(client, f"idp.{n}")
        assert client.get("/accounts/login/").wsgi_request.user == person


def test_a_deactivated_account_is_refused_and_its_sessions_end(oidc_provider, client, dorset):
    sam = invite(dorset, "sam.staff@nhs.example")
    identity("idp.sam", email="sam.staff@nhs.example", email_verified=True)
    oidc_provider.sign_on(client, "idp.sam")
    assert client.get("/dashboard/nhs-dorset-ccg/").status_code == HTTPStatus.OK
    sam.is_active = False
    sam.save()
    # The signed-on session ends at its next request ...
    assert client.get("/dashboard/nhs-dorset-ccg/")["Location"].startswith("/accounts/login/")
    # ... and a new sign-on is refused, saying why.
    response = oidc_provider.sign_on(client, "idp.sam")
    assert "deactivated" in messages_of(response)[0]
    assert not client.get("/accounts/login/").wsgi_request.user.is_authenticated


def test_two_accounts_with_the_address_are_refused(oidc_provider, client, dorset):
    UserFactory(username="a", email="twin@nhs.example")
    UserFactory(username="b", email="TWIN@nhs.example")
    identity("idp.twin", email="twin@nhs.example", email_verified=True)
    response = oidc_provider.sign_on(client, "idp.twin")
    assert "Several ccgtrack accounts" in messages_of(response)[0]


def test_the_page_asked_for_is_where_the_sign_on_lands(oidc_provider, client, dorset):
    invite(dorset, "sam.staff@nhs.example")
    identity("idp.sam", email="sam.staff@nhs.example", email_verified=True)
    response = oidc_provider.sign_on(client, "idp.sam", start="/accounts/sign-on/start/?next=/risks/")
    assert response["Location"] == "/risks/"
    outside = oidc_provider.sign_on(
        client, "idp.sam", start="/accounts/sign-on/start/?next=https://evil.example/"
    )
    assert outside["Location"] == "/"


def test_a_refusal_at_the_provider_is_shown(oidc_provider, client):
    client.get("/accounts/sign-on/start/")
    response = client.get(
        "/accounts/sign-on/callback/?error=access_denied&error_description=The+user+cancelled"
    )
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == ["The sign-in service did not sign you in: The user cancelled"]


def test_a_forged_callback_signs_nobody_in(oidc_provider, client, dorset):
    invite(dorset, "sam.staff@nhs.example")
    identity("idp.sam", email="sam.staff@nhs.example", email_verified=True)
    client.get("/accounts/sign-on/start/")
    # A code the provider never issued, with a state this browser never started: refused.
    assert client.get("/accounts/sign-on/callback/?code=made-up&state=made-up").status_code == 400
    assert not client.get("/accounts/login/").wsgi_request.user.is_authenticated


def test_a_password_login_page_post_with_a_code_in_the_query_does_not_reach_the_provider(
    oidc_provider, client
):
    response = client.post("/accounts/login/?code=x&state=y", {"username": "nobody", "password": "wrong"})
    assert response.status_code == HTTPStatus.OK  # the form's own error, no token request


def test_an_unreachable_provider_is_a_message_not_an_error(settings, client, db):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/o"  # the discard port: nothing answers
    settings.OIDC_RP_CLIENT_ID = "x"
    settings.OIDC_RP_CLIENT_SECRET = "y"
    response = client.get("/accounts/sign-on/start/")
    assert response["Location"] == "/accounts/login/"
    assert "cannot be reached" in messages_of(response)[0]


def test_without_configuration_there_is_no_button_and_no_sign_on(client, db):
    assert 'id="single-sign-on"' not in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/sign-on/start/").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/accounts/sign-on/callback/?code=a&state=b").status_code == HTTPStatus.NOT_FOUND


def test_the_sign_in_page_offers_the_button_when_configured(oidc_provider, client):
    page = client.get("/accounts/login/?next=/risks/").content.decode()
    assert 'href="/accounts/sign-on/start/?next=/risks/"' in page
    assert "Sign in with NHSmail / Microsoft" in page and 'id="id_password"' in page


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ({}, False),
        ({"iss": "https://login.microsoftonline.com/another-tenant/v2.0"}, True),
        ({"aud": "another-application"}, True),
        ({"aud": ["another-application", "ccgtrack-tests"]}, True),  # no azp naming ccgtrack
        ({"aud": ["another-application", "ccgtrack-tests"], "azp": "ccgtrack-tests"}, False),
        ({"nonce": "another-sign-on"}, True),
        ({"exp": 1_000_000_000}, True),
    ],
)
def test_an_id_token_for_another_issuer_application_or_sign_on_is_refused(
    oidc_provider, rsa_private_key, change, refused
):
    """Tokens signed with the provider's own key (checked against the keys it publishes over
    HTTP), differing in one claim from what ccgtrack expects."""
    import time

    import jwt
    from django.core.exceptions import SuspiciousOperation
    from jwcrypto.jwk import JWK

    from apps.signon.backends import SingleSignOnBackend
    from tests.signon.conftest import CLIENT_ID

    backend = SingleSignOnBackend()
    backend.issuer = oidc_provider.url
    backend.OIDC_OP_JWKS_ENDPOINT = oidc_provider.url + "/.well-known/jwks.json"
    kid = JWK.from_pem(rsa_private_key.encode()).thumbprint()
    claims = {
        "iss": oidc_provider.url,
        "aud": CLIENT_ID,
        "sub": "1",
        "nonce": "n",
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode({**claims, **change}, rsa_private_key, algorithm="RS256", headers={"kid": kid})
    if refused:
        with pytest.raises(SuspiciousOperation):
            backend.verify_token(token, nonce="n")
    else:
        assert backend.verify_token(token, nonce="n")["sub"] == "1"
