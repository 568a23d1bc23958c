"""The pages where people manage their API tokens: their own (/my/api-tokens/, the secret shown
once when made), and, for organisation administrators, their organisation's people's."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from apps.core import receipts
from apps.core.forms import add_service_errors
from apps.organisations import permissions
from apps.organisations.models import Organisation

from . import services
from .forms import TokenForm
from .models import AccessToken


class MyTokensView(View):
    template_name = "api/my_tokens.html"

    def render_page(self, form, *, made=None, secret="", status=200):
        user = self.request.user
        assert user.is_authenticated  # LoginRequiredMiddleware sends anyone else to sign in
        tokens = AccessToken.objects.filter(user=user).select_related("revoked_by")
        context = {"form": form, "tokens": tokens, "made": made, "secret": secret, "now": timezone.now()}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(TokenForm())

    def post(self, request):
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            token, secret = services.token_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_page(form, status=400)
        # Shown on this response only: the secret is not stored, and not put in the session.
        return self.render_page(TokenForm(), made=token, secret=secret)


class TokenRevokeView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        token = AccessToken.objects.filter(pk=pk).select_related("user").first()
        if token is None or not services.may_revoke(request.user, token):
            raise Http404("No such token among those you may revoke.")
        services.token_revoke(token_id=token.pk, acting_user=request.user)
        receipts.saved(request, f"token {token.name} revoked.")
        back = request.POST.get("organisation", "")
        if back and token.user_id != request.user.pk:
            return redirect("tokens:organisation_tokens", slug=back)
        return redirect("tokens:my_tokens")


class OrganisationTokensView(View):
    """The tokens of an organisation's people (and of everything beneath it): organisation
    administrators of it and administrators only."""

    template_name = "api/organisation_tokens.html"

    def get(self, request, slug):
        organisation = get_object_or_404(Organisation, slug=slug)
        permissions.require_manage_people(request.user, organisation)
        context = {
            "organisation": organisation,
            "tokens": services.tokens_of_people(organisation),
            "now": timezone.now(),
        }
        return render(request, self.template_name, context)
