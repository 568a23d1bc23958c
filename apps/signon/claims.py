"""Which email address of a signed-on person ccgtrack believes (README "Single sign-on").

The claims come from the ID token, whose signature (the provider's published keys), issuer,
audience, expiry and nonce have been checked; the userinfo endpoint is not asked (Microsoft
Entra ID's returns none of the claims below). An address is believed when

1. ``email`` comes with ``email_verified: true`` (OpenID Connect's standard claim: the provider
   checked the address), or
2. ``email`` comes with ``xms_edov: true`` (Entra ID's optional "email domain owner verified"
   claim: the address's domain is verified by the tenant the account belongs to), or
3. ``email``, else ``preferred_username``, is in one of OIDC_TRUSTED_EMAIL_DOMAINS: domains that
   the operator has checked are verified domains of the one tenant OIDC_ISSUER names (Entra only
   gives a user principal name in a domain the tenant has verified, and tokens of other tenants
   carry another issuer and are refused).

Otherwise the person is refused: Entra's ``email`` is an editable attribute, and believing it
alone would let anyone who can set it in some tenant take over an account ("nOAuth").
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def _true(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in {"true", "1"})


def _address(value) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    address = value.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        return None
    return address


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1].lower()


def verified_email(claims: dict) -> str | None:
    """The person's verified address, lower case, or None (see the module's rules)."""
    email = _address(claims.get("email"))
    if email and (_true(claims.get("email_verified")) or _true(claims.get("xms_edov"))):
        return email
    trusted = set(settings.OIDC_TRUSTED_EMAIL_DOMAINS)
    for candidate in (email, _address(claims.get("preferred_username"))):
        if candidate and domain_of(candidate) in trusted:
            return candidate
    return None
