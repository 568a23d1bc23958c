"""A real OpenID provider for the single sign-on tests: django-oauth-toolkit's OpenID Connect
support, served by pytest-django's live server at /o/ (``urls.py`` beside this file), signing
its ID tokens (RS256) with an RSA key made for the test run.

The provider keeps its own people: accounts whose usernames start with ``idp.`` and which
belong to no organisation, signing in at the provider's own page (/o/sign-in/), as a person
signs in at Microsoft's. ccgtrack knows them only by the claims the provider puts in the ID
token, set per test in ``IDENTITIES``: for Entra ID these would be ``email``,
``preferred_username`` and ``xms_edov``; here any claims a test needs.

The live server answers on two host names: ccgtrack at ``localhost`` and the provider at
``127.0.0.1``, so that the browser holds two separate sessions, one per site, as it would with
ccgtrack and login.microsoftonline.com."""

from csp.decorators import csp_exempt
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView

IDENTITIES: dict[str, dict] = {}  # provider username -> the claims its ID token carries


def identity(username, **claims):
    """A person at the provider (an account ``username``, password ``username``) whose ID token
    carries ``claims``."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(username)
    user.save()
    IDENTITIES[username] = claims
    return user


class ClaimsValidator(OAuth2Validator):
    # Every claim a test sets goes into the ID token, whatever the scopes (xms_edov has none).
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        return dict(IDENTITIES.get(request.user.get_username(), {}))


class SignInForm(forms.Form):
    username = forms.CharField()
    password = forms.CharField(widget=forms.PasswordInput)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(csp_exempt(), name="dispatch")
class ProviderSignInView(View):
    """The provider's own sign-in page (its accounts, its session on its own host name). Not
    ccgtrack's: that one may have passwords turned off."""

    login_required = False

    def page(self, status=200):
        html = (
            '<!doctype html><html lang="en"><head><title>Test provider: sign in</title></head><body>'
            "<main><h1>Test provider</h1><form method=post><label for=u>Username</label>"
            "<input id=u name=username><label for=p>Password</label><input id=p name=password "
            "type=password><button type=submit id=provider-sign-in>Sign in</button></form></main>"
            "</body></html>"
        )
        return HttpResponse(html, status=status)

    def get(self, request):
        return self.page()

    def post(self, request):
        form = SignInForm(request.POST)
        User = get_user_model()
        user = None
        if form.is_valid():
            user = User.objects.filter(username=form.cleaned_data["username"]).first()
        if user is None or not user.check_password(form.cleaned_data.get("password", "")):
            return self.page(status=400)
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        target = request.GET.get("next", "/o/")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "/o/"
        return HttpResponseRedirect(target)


class ProviderAuthorizationView(AuthorizationView):
    """The authorization endpoint, sending people who have not signed in to the provider's page."""

    login_url = "/o/sign-in/"
