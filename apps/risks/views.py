from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from apps.core import permissions
from apps.core.audit import StaleVersionError
from apps.core.forms import add_service_errors
from apps.core.views import FilteredTableView
from apps.organisations.selectors import people_of

from . import selectors, services
from .filters import RiskFilterSet
from .forms import RiskReviewForm
from .models import Risk
from .tables import RiskTable


class RiskListView(FilteredTableView):
    table_class = RiskTable
    filterset_class = RiskFilterSet
    template_name = "risks/risk_list.html"
    export_name = "risks"

    def get_queryset(self):
        return selectors.risk_list(user=self.request.user)


class HeatmapView(TemplateView):
    """The 5x5 grids over the same filters as the list: each cell links to its filtered list."""

    template_name = "risks/heatmap.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scheme = selectors.current_scheme()
        filterset = RiskFilterSet(
            self.request.GET,
            queryset=selectors.risk_list(user=self.request.user, scheme=scheme),
            request=self.request,
        )
        base = self.request.GET.copy()
        grids = selectors.heatmap(filterset.qs, scheme)
        for grid in grids.values():
            for row in grid["rows"]:
                for cell in row["cells"]:
                    params = base.copy()
                    for key in ("severity", "likelihood", "residual_severity", "residual_likelihood", "page"):
                        params.pop(key, None)
                    params.update(cell["params"])
                    cell["query"] = params.urlencode()
        context.update(filter=filterset, grids=grids, scheme=scheme)
        return context


def _visible_risk_or_404(user, pk):
    try:
        return selectors.risk_detail(user=user, risk_id=pk)
    except Risk.DoesNotExist as exc:
        raise Http404("No such risk.") from exc


class RiskDetailView(View):
    template_name = "risks/risk_detail.html"

    def get(self, request, pk):
        risk = _visible_risk_or_404(request.user, pk)
        form = None
        if permissions.can_edit(request.user, risk.organisation):
            form = RiskReviewForm(instance=risk, owner_choices=people_of(risk.organisation))
        return self._render(request, risk, form)

    def post(self, request, pk):
        risk = _visible_risk_or_404(request.user, pk)
        permissions.require_edit(request.user, risk.organisation)
        form = RiskReviewForm(
            request.POST, instance=Risk.objects.get(pk=pk), owner_choices=people_of(risk.organisation)
        )
        if form.is_valid():
            try:
                services.risk_review(
                    risk_id=pk,
                    acting_user=request.user,
                    expected_version=form.cleaned_data["version"],
                    changes=form.changes(),
                    note=form.cleaned_data["note"],
                )
            except StaleVersionError:
                current = _visible_risk_or_404(request.user, pk)
                form = RiskReviewForm(instance=current, owner_choices=people_of(current.organisation))
                messages.error(
                    request,
                    "Someone else reviewed this risk while you were editing it. Your review was not saved: "
                    "the form now shows the current values.",
                )
                return self._render(request, current, form, status=409)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Review recorded.")
                return redirect(risk.get_absolute_url())
        return self._render(request, risk, form, status=400)

    def _render(self, request, risk, form, status=200):
        reviews, events = selectors.risk_history(risk)
        context = {"risk": risk, "form": form, "reviews": reviews, "events": events}
        return render(request, self.template_name, context, status=status)
