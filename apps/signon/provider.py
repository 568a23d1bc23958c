"""The OpenID provider ccgtrack signs people on through, as the environment configures it.

Single sign-on is on when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are all set. The
provider's endpoints are read from the issuer's discovery document
(``<issuer>/.well-known/openid-configuration``) the first time a sign-on needs them, not at
start-up (an app server starts, and passwords work, while the provider is unreachable), and kept
for DISCOVERY_SECONDS in the cache; OIDC_AUTHORIZATION_ENDPOINT, OIDC_TOKEN_ENDPOINT and
OIDC_JWKS_ENDPOINT, when all three are set, are used instead. The document must name the
configured issuer: a Microsoft Entra ID issuer is the tenant's own,
``https://login.microsoftonline.com/<tenant id>/v2.0``, whose tokens carry that ``iss``.
"""

import requests
from django.conf import settings
from django.core.cache import cache

DISCOVERY_SECONDS = 60 * 60
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read or does not fit the configuration."""


def configured() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID and settings.OIDC_RP_CLIENT_SECRET)


def button_label() -> str:
    return settings.OIDC_BUTTON_LABEL


def _cache_key() -> str:
    return f"signon:discovery:{settings.OIDC_ISSUER}"


def endpoints() -> dict[str, str]:
    """The issuer and the three endpoints a sign-on uses; ProviderUnavailable if the discovery
    document cannot be read, is not JSON, lacks one of them or names another issuer."""
    explicit = settings.OIDC_EXPLICIT_ENDPOINTS
    if all(explicit.get(name) for name in ENDPOINTS):
        return {"issuer": settings.OIDC_ISSUER, **{name: explicit[name] for name in ENDPOINTS}}
    found = cache.get(_cache_key())
    if found is not None:
        return found
    url = settings.OIDC_ISSUER + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"The sign-in service's settings could not be read ({error}).") from error
    if not isinstance(document, dict) or not all(isinstance(document.get(n), str) for n in ENDPOINTS):
        raise ProviderUnavailable("The sign-in service's settings lack an endpoint.")
    if str(document.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER:
        raise ProviderUnavailable(
            f"The sign-in service names the issuer {document.get('issuer')!r}, not {settings.OIDC_ISSUER!r}."
        )
    found = {"issuer": settings.OIDC_ISSUER, **{name: document[name] for name in ENDPOINTS}}
    cache.set(_cache_key(), found, DISCOVERY_SECONDS)
    return found
