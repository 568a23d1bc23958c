"""The sign-in page with single sign-on, the two steps of the sign-on, and the allowed
domains page of an organisation's administrators."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django_tables2 import RequestConfig
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from apps.core import receipts
from apps.core.forms import add_service_errors
from apps.core.history.audit import StaleVersionError
from apps.core.login_throttle import remember_device
from apps.core.signin import SignInView
from apps.organisations import permissions
from apps.organisations.models import Organisation

from . import provider, services
from .forms import AllowedDomainForm
from .models import DOMAIN_ROLES
from .selectors import allowed_domains
from .tables import AllowedDomainTable


class SignInWithSingleSignOnView(SignInView):
    """The sign-in page: the single sign-on button when it is configured, and the password form
    unless LOCAL_PASSWORDS is off (then a posted password is refused, 403, before any backend
    sees it)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["single_sign_on"] = provider.button_label() if provider.configured() else ""
        context["local_passwords"] = settings.LOCAL_PASSWORDS
        return context

    def post(self, request, *args, **kwargs):
        if not settings.LOCAL_PASSWORDS:
            context = self.get_context_data(form=self.get_form_class()(request))
            context["passwords_refused"] = True
            return render(request, self.template_name or "registration/login.html", context, status=403)
        return super().post(request, *args, **kwargs)


class SignOnStartView(OIDCAuthenticationRequestView):
    """The button's link: to the provider's authorization endpoint, with a state, a nonce and a
    PKCE challenge kept in the session. Not found when single sign-on is not configured."""

    def __init__(self, *args, **kwargs):
        View.__init__(self, *args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        if not provider.configured():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider.endpoints()["authorization_endpoint"]
        except provider.ProviderUnavailable:
            messages.error(
                request,
                "The sign-in service cannot be reached just now. Try again in a few minutes; if it keeps "
                "failing, tell an administrator.",
            )
            return redirect("login")
        return super().get(request)


class SignOnCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the person back: mozilla-django-oidc checks the state, the
    backend (apps/signon/backends.py) the tokens and the person. Signed in, this browser is
    remembered as theirs, as after a password sign-in (apps/core/login_throttle.py); refused,
    the sign-in page says why."""

    @property
    def failure_url(self):
        return reverse("login")

    def get(self, request):
        if not provider.configured():
            raise Http404("Single sign-on is not configured.")
        if request.GET.get("error"):
            description = request.GET.get("error_description", "")[:300]
            messages.error(
                request,
                "The sign-in service did not sign you in" + (f": {description}" if description else "."),
            )
        return super().get(request)

    def login_success(self):
        response = super().login_success()
        remember_device(self.request, response, self.user.get_username())
        return response


# --- Allowed domains: beside the people page --------------------------------------------------


class AllowedDomainsPage(View):
    """/organisations/<slug>/people/domains/: the email domains whose people join this
    organisation (or one beneath it) the first time they sign on, with the form to allow one and
    a button to withdraw each. Organisation administrators of it (or above) and administrators."""

    template_name = "signon/allowed_domains.html"

    def organisation(self, slug):
        organisation = get_object_or_404(Organisation, slug=slug)
        permissions.require_manage_people(self.request.user, organisation)
        return organisation

    def form(self, organisation, data=None):
        return AllowedDomainForm(
            data,
            organisations=permissions.manageable_organisations(self.request.user)
            .filter(pk__in=Organisation.objects.beneath([organisation.pk]).values("pk"))
            .order_by("kind", "name"),
            roles=[
                r for r in permissions.grantable_roles(self.request.user, organisation) if r in DOMAIN_ROLES
            ],
            initial_organisation=organisation,
        )

    def render_page(self, organisation, *, form=None, errors=(), status=200):
        context = {
            "organisation": organisation,
            "form": form or self.form(organisation),
            "table": RequestConfig(self.request, paginate={"per_page": 50}).configure(
                AllowedDomainTable(
                    allowed_domains(acting_user=self.request.user, scope=organisation), scope=organisation
                )
            ),
            "action_errors": errors,
            "single_sign_on": provider.configured(),
        }
        return render(self.request, self.template_name, context, status=status)


class AllowedDomainsView(AllowedDomainsPage):
    def get(self, request, slug):
        return self.render_page(self.organisation(slug))

    def post(self, request, slug):
        organisation = self.organisation(slug)
        form = self.form(organisation, request.POST)
        if not form.is_valid():
            return self.render_page(organisation, form=form, status=400)
        try:
            allowed = services.allowed_domain_add(
                acting_user=request.user,
                organisation=form.cleaned_data["organisation"],
                domain=form.cleaned_data["domain"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_page(organisation, form=form, status=400)
        receipts.saved(
            request,
            f"People with an address at {allowed.domain} now join {allowed.organisation.name} as "
            f"{allowed.get_role_display()} the first time they sign on.",
        )
        return redirect("signon:allowed_domains", slug=organisation.slug)


class AllowedDomainWithdrawView(AllowedDomainsPage):
    http_method_names = ["post"]

    def post(self, request, slug, pk):
        organisation = self.organisation(slug)
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            return self.render_page(organisation, errors=["The page was out of date: try again."], status=400)
        try:
            allowed = services.allowed_domain_withdraw(
                acting_user=request.user, scope=organisation, pk=pk, expected_version=version
            )
        except ObjectDoesNotExist as exc:
            raise Http404("No such domain among those you manage here.") from exc
        except StaleVersionError:
            return self.render_page(
                organisation,
                errors=["Someone changed this domain while you were looking: here it is as it is now."],
                status=409,
            )
        except ValidationError as error:
            return self.render_page(organisation, errors=error.messages, status=400)
        receipts.saved(request, f"{allowed.domain} is withdrawn: nobody new joins by it.")
        return redirect("signon:allowed_domains", slug=organisation.slug)
