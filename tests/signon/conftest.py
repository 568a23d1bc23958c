"""The single sign-on tests' provider, configured per test: an RSA key made for the run, the
provider's settings, ccgtrack's OIDC settings pointing at it, and ccgtrack registered there as
an application (tests/signon/provider.py)."""

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.signon import provider as test_provider

CLIENT_ID = "ccgtrack-tests"
CLIENT_SECRET = "a-client-secret-made-for-the-tests"  # noqa: S105


@pytest.fixture(scope="session")
def rsa_private_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class Provider:
    url: str  # the issuer: http://127.0.0.1:<port>/o
    site: str  # ccgtrack on the same live server: http://localhost:<port>

    def browser(self, username):
        """A browser session signed in at the provider as ``username`` (over HTTP)."""
        session = requests.Session()
        response = session.post(
            self.url + "/sign-in/",
            data={"username": username, "password": username},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text
        return session

    def sign_on(self, client, username, *, start="/accounts/sign-on/start/"):
        """``client`` (Django's test client, on ccgtrack) signs on as the provider's
        ``username``: the button's redirect, the provider's authorization (a real HTTP request
        to the live server, signed in there), and the callback, whose code ccgtrack's backend
        exchanges at the provider's token endpoint over HTTP. The callback's response."""
        begin = client.get(start)
        assert begin.status_code == 302, begin
        authorize = begin["Location"]
        assert authorize.startswith(self.url + "/authorize/?")
        answer = self.browser(username).get(authorize, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        back = urlsplit(answer.headers["Location"])
        assert back.path == "/accounts/sign-on/callback/"
        return client.get(f"{back.path}?{back.query}")


@pytest.fixture
def oidc_provider(live_server, transactional_db, settings, rsa_private_key):
    from oauth2_provider.models import get_application_model

    site = live_server.url
    issuer = site.replace("//localhost:", "//127.0.0.1:") + "/o"
    assert issuer != site + "/o"  # two host names, two sessions
    settings.ROOT_URLCONF = "tests.signon.urls"
    settings.OAUTH2_PROVIDER = {
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": rsa_private_key,
        "OIDC_ISS_ENDPOINT": issuer,
        "OAUTH2_VALIDATOR_CLASS": "tests.signon.provider.ClaimsValidator",
        "SCOPES": {"openid": "OpenID Connect", "email": "Email address", "profile": "Name"},
        "PKCE_REQUIRED": True,
    }
    settings.OIDC_ISSUER = issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    Application = get_application_model()
    Application.objects.create(
        name="ccgtrack",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"http://testserver/accounts/sign-on/callback/ {site}/accounts/sign-on/callback/",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    test_provider.IDENTITIES.clear()
    yield Provider(url=issuer, site=site)
    test_provider.IDENTITIES.clear()
