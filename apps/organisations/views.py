from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views import View
from django.views.generic import DetailView

from apps.core import receipts
from apps.core.forms import add_service_errors
from apps.core.views import FilteredTableView
from apps.organisations import permissions

from . import selectors, services
from .filters import LatFilterSet
from .forms import InvitationPasswordForm, InviteForm, RoleForm
from .models import Organisation
from .people import people_changes, people_memberships
from .tables import LatTable
from .tokens import INVITATION_DAYS, invitation_tokens


class NationalView(FilteredTableView):
    """Regions and local area teams: the national picture, for any logged-in user."""

    table_class = LatTable
    filterset_class = LatFilterSet
    template_name = "organisations/national.html"
    export_name = "local-area-teams"
    paginate_by = None
    table_pagination = False

    def get_queryset(self):
        return selectors.lat_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = context["table"].totals = selectors.totals(self.object_list)
        context["discrepancies"] = selectors.published_discrepancies()
        return context


class OrganisationDetailView(DetailView):
    template_name = "organisations/organisation_detail.html"
    context_object_name = "organisation"

    def get_object(self, queryset=None):
        try:
            return selectors.organisation_detail(self.kwargs["slug"])
        except Organisation.DoesNotExist as exc:
            raise Http404("No such organisation.") from exc

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.object
        context["ancestors"] = list(reversed(organisation.ancestors()))
        context["can_view_od"] = permissions.can_view(self.request.user, organisation)
        context["can_manage_people"] = permissions.can_manage_people(self.request.user, organisation)
        if context["can_view_od"]:
            context["plans"] = list(organisation.plans.all())
        if organisation.ccg_count is not None:
            # A published CCG count beside the CCGs ccgtrack holds beneath, named.
            context["recorded_ccgs"] = list(
                Organisation.objects.beneath([organisation.pk])
                .of_kind(Organisation.Kind.CCG)
                .exclude(pk=organisation.pk)
                .order_by("name")
            )
        return context


# --- People (issue 11) ------------------------------------------------------------------------


def _link_base(request):
    """The scheme and host the acting user reached us on, for links in the emails they cause
    (as Django's password reset does; ALLOWED_HOSTS vets the host)."""
    return request.build_absolute_uri("/").rstrip("/")


class PeopleView(View):
    """/organisations/<slug>/people/: the memberships of an organisation and everything beneath
    it, with the invite form, the actions on each membership and the change log. Organisation
    administrators of it (or above it) and administrators only."""

    template_name = "organisations/people.html"

    def organisation(self, slug):
        organisation = get_object_or_404(Organisation, slug=slug)
        permissions.require_manage_people(self.request.user, organisation)
        return organisation

    def invite_form(self, organisation, data=None):
        return InviteForm(
            data,
            organisations=permissions.manageable_organisations(self.request.user)
            .filter(pk__in=Organisation.objects.beneath([organisation.pk]).values("pk"))
            .order_by("kind", "name"),
            roles=permissions.grantable_roles(self.request.user, organisation),
            initial_organisation=organisation,
        )

    def render_page(self, organisation, *, form=None, action_errors=(), status=200):
        user = self.request.user
        memberships = list(people_memberships(acting_user=user, organisation=organisation))
        for membership in memberships:
            membership.manageable = permissions.may_manage_account(user, membership.user)
        context = {
            "organisation": organisation,
            "form": form or self.invite_form(organisation),
            "memberships": memberships,
            "changes": people_changes(organisation=organisation),
            "roles": cast(forms.ChoiceField, RoleForm.base_fields["role"]).choices,
            "action_errors": action_errors,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, slug):
        return self.render_page(self.organisation(slug))


class _FormInvalid(Exception):
    """A posted form did not validate: render the page again with it (400)."""

    def __init__(self, **render_kwargs):
        super().__init__("form invalid")
        self.render_kwargs = {"status": 400, **render_kwargs}


class PeopleActionView(PeopleView):
    """A POST that changes one membership or account through its service, then back to the
    page (a form or rule error: the page again, 400, with the message; nothing changed)."""

    http_method_names = ["post"]
    success_message = "Saved."

    def perform(self, *args: Any, **kwargs: Any) -> str:
        """Each action view makes its change here and returns the message to show."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define perform().")

    def post(self, request, slug, **kwargs):
        organisation = self.organisation(slug)
        try:
            message = self.perform(organisation, **kwargs)
        except ObjectDoesNotExist as exc:
            # Another organisation's membership, or none: not found, whatever the reason.
            raise Http404("No such person among the people you manage here.") from exc
        except ValidationError as error:
            return self.render_page(organisation, action_errors=error.messages, status=400)
        except _FormInvalid as invalid:
            return self.render_page(organisation, **invalid.render_kwargs)
        except services.EmailNotSent as not_sent:
            # The change is saved (the email is sent after it commits); say what is missing.
            messages.warning(request, str(not_sent))
            return redirect("organisations:people", slug=organisation.slug)
        receipts.saved(request, message)
        return redirect("organisations:people", slug=organisation.slug)


class InviteView(PeopleActionView):
    def perform(self, organisation):
        form = self.invite_form(organisation, self.request.POST)
        if not form.is_valid():
            raise _FormInvalid(form=form)
        try:
            membership = services.membership_invite(
                acting_user=self.request.user,
                organisation=form.cleaned_data["organisation"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                link_base=_link_base(self.request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            raise _FormInvalid(form=form) from error
        return (
            f"{services.user_label(membership.user)} now belongs to {membership.organisation.name} as "
            f"{membership.get_role_display()}; an email has been sent to them."
        )


class RoleChangeView(PeopleActionView):
    def perform(self, organisation, membership_id):
        form = RoleForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError("Choose one of the roles offered.")
        membership = services.membership_change_role(
            acting_user=self.request.user,
            scope=organisation,
            membership_id=membership_id,
            **form.cleaned_data,
        )
        return f"{services.user_label(membership.user)} is now {membership.get_role_display()}."


class MembershipRemoveView(PeopleActionView):
    def perform(self, organisation, membership_id):
        services.membership_remove(
            acting_user=self.request.user, scope=organisation, membership_id=membership_id
        )
        return "Membership removed."


class AccountDeactivateView(PeopleActionView):
    def perform(self, organisation, user_id):
        user = services.account_deactivate(acting_user=self.request.user, scope=organisation, user_id=user_id)
        return f"{services.user_label(user)} can no longer log in."


class AccountReactivateView(PeopleActionView):
    def perform(self, organisation, user_id):
        user = services.account_reactivate(acting_user=self.request.user, scope=organisation, user_id=user_id)
        return f"{services.user_label(user)} can log in again."


class InvitationResendView(PeopleActionView):
    def perform(self, organisation, user_id):
        user = services.invitation_resend(
            acting_user=self.request.user,
            scope=organisation,
            user_id=user_id,
            link_base=_link_base(self.request),
        )
        return f"A new invitation has been sent to {user.email}; earlier links no longer work."


class InvitationAcceptView(PasswordResetConfirmView):
    """The invitation link: Django's password-reset confirmation with the invitation's own
    token (one use, INVITATION_DAYS), for accounts that are active and belong somewhere. The
    token moves from the URL into the session first (no token in a Referer header). Setting the
    password logs the person in and takes them to their organisation's dashboard."""

    token_generator = invitation_tokens
    form_class = InvitationPasswordForm
    template_name = "registration/invitation_accept.html"
    reset_url_token = "set-password"
    success_url = reverse_lazy("home")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is None or not user.is_active or not user.memberships.exists():
            return None
        return user

    def form_valid(self, form):
        user = services.invitation_accept(form=form)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        auth_login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, "Your password is set and you are logged in. Welcome to ccgtrack.")
        return HttpResponseRedirect(self.get_success_url())

    def post(self, request, *args, **kwargs):
        if not settings.LOCAL_PASSWORDS:  # single sign-on only (apps/signon): no password is set
            raise PermissionDenied("Passwords are turned off: sign in with the single sign-on button.")
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invited_user"] = self.user if self.validlink else None
        context["days"] = INVITATION_DAYS
        context["local_passwords"] = settings.LOCAL_PASSWORDS
        context["sign_on_label"] = settings.OIDC_BUTTON_LABEL
        return context
