"""The authentication backends of single sign-on and of LOCAL_PASSWORDS=false."""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from . import provider
from .claims import verified_email
from .services import SignOnRefused, sign_on

logger = logging.getLogger(__name__)

ADMIN_LOGIN = "admin:login"


class SingleSignOnBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's authorization-code flow (with PKCE and a nonce), answering only at
    the sign-on callback (``signon:callback``): it exchanges the code for tokens at the
    provider's token endpoint (over HTTPS, with the client secret), checks the ID token's
    signature against the provider's published keys, its issuer, audience, expiry and nonce,
    and lets in the person its verified address matches (``services.sign_on``). A refusal is
    a message on the sign-in page, never an account."""

    def __init__(self, *args, **kwargs):
        # The endpoints are read when a sign-on needs them (provider.endpoints), never while
        # Django merely lists the backends for a password login.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is not None or password is not None or not provider.configured():
            return None
        if request.path != reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL):
            return None
        try:
            found = provider.endpoints()
            self.issuer = found["issuer"]
            self.OIDC_OP_TOKEN_ENDPOINT = found["token_endpoint"]
            self.OIDC_OP_JWKS_ENDPOINT = found["jwks_uri"]
            self.OIDC_OP_USER_ENDPOINT = ""
            return super().authenticate(request, **kwargs)
        except (provider.ProviderUnavailable, requests.RequestException) as error:
            logger.warning("Single sign-on failed at the provider: %s", error)
            messages.error(
                request,
                "The sign-in service did not answer as expected, so you were not signed in. "
                "Try again in a few minutes; if it keeps failing, tell an administrator.",
            )
            return None
        except SuspiciousOperation as error:
            logger.warning("Single sign-on refused a token: %s", error)
            messages.error(
                request, "The sign-in service's answer could not be trusted, so you were not signed in."
            )
            return None

    def verify_token(self, token, **kwargs):
        """mozilla-django-oidc checks the signature, expiry and nonce; the issuer and the
        audience are checked here (a token of another tenant or for another application is
        refused). An expired or otherwise invalid token is refused too (mozilla-django-oidc lets
        PyJWT's errors other than a bad signature through, which would be a 500)."""
        try:
            payload = super().verify_token(token, **kwargs)
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"The ID token is not valid: {error}") from error
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if str(payload.get("iss", "")).rstrip("/") != self.issuer:
            raise SuspiciousOperation("The ID token names another issuer.")
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is for another application.")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("The ID token was issued to another application.")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The claims of the checked ID token (Entra ID's userinfo endpoint returns none of the
        claims ccgtrack reads)."""
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        email = verified_email(payload)
        if email is None:
            shown = payload.get("email") or payload.get("preferred_username") or "your account"
            messages.error(
                self.request,
                f"You signed in as {shown}, but the sign-in service did not confirm that address, "
                "so ccgtrack cannot tell whose account it is. Nothing was changed: ask an "
                "administrator.",
            )
            return None
        try:
            return sign_on(email=email, claims=payload)
        except SignOnRefused as refused:
            messages.error(self.request, str(refused))
            return None

    def get_user(self, user_id):
        # As ModelBackend: a deactivated account's sessions end at their next request.
        return ModelBackend.get_user(self, user_id)


class LocalPasswordsBackend:
    """Placed before the password backends: with LOCAL_PASSWORDS off, refuses every password
    (PermissionDenied stops Django trying the backends after it), except a superuser's at the
    Django admin's own login page, the break-glass for when the sign-in service is down or
    misconfigured (README "Single sign-on")."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if settings.LOCAL_PASSWORDS or password is None:
            return None
        if request is not None and request.path == reverse(ADMIN_LOGIN):
            user = self._user(username)
            if user is not None and user.is_superuser:
                return None  # the next backends check the password
        raise PermissionDenied("Passwords are turned off: sign in with the single sign-on button.")

    @staticmethod
    def _user(username):
        User = get_user_model()
        try:
            return User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            return None
