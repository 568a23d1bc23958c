"""ccgtrack's URLs with the test OpenID provider at /o/ (tests/signon/provider.py)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from ccgtrack.urls import handler400, handler500
from ccgtrack.urls import urlpatterns as ccgtrack_urlpatterns
from tests.signon.provider import ProviderAuthorizationView, ProviderSignInView

urlpatterns = [
    path("o/sign-in/", login_not_required(ProviderSignInView.as_view()), name="provider_sign_in"),
    path("o/authorize/", ProviderAuthorizationView.as_view(), name="provider_authorize"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    *ccgtrack_urlpatterns,
]

__all__ = ["handler400", "handler500", "urlpatterns"]
