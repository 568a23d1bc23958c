from django.http import Http404
from django.views.generic import TemplateView

from apps.core.edit_views import VersionedEditView
from apps.core.views import FilteredTableView
from apps.organisations.selectors import people_of
from apps.reports import as_at

from . import selectors, services
from .filters import RiskFilterSet
from .forms import RiskReviewForm
from .models import Risk
from .tables import AsAtRiskTable, RiskTable


class RiskListView(as_at.AsAtListMixin, FilteredTableView):
    """The risk register; with ``?as_at=YYYY-MM-DD``, as it stood that day."""

    table_class = RiskTable
    filterset_class = RiskFilterSet
    template_name = "risks/risk_list.html"
    export_name = "risks"
    as_at_filterset_class = as_at.RiskAsAtFilterSet
    as_at_table_class = AsAtRiskTable
    as_at_title = "Risk register"

    def as_at_rows(self, moment):
        return as_at.risks(moment, user=self.request.user)

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
        # As on the list: a filter the form rejects shows its error and no risks, never all of them.
        grids = selectors.heatmap(filterset.qs if filterset.is_valid() else filterset.queryset.none(), scheme)
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


class RiskDetailView(VersionedEditView):
    """A risk with its reviews and audit trail; staff of its organisation also get the review
    form, which posts back here."""

    template_name = "risks/risk_detail.html"
    form_class = RiskReviewForm
    service = services.risk_edit
    success_message = "Review recorded."
    conflict_message = (
        "Someone else reviewed this risk while you were editing it. Your review was not saved: the "
        "form shows the current values, and what you typed is shown beside it."
    )

    def get_object(self, request, pk):
        return _visible_risk_or_404(request.user, pk)

    def get_form_kwargs(self, obj):
        return {"owner_choices": people_of(obj.organisation)}

    def get_context(self, request, obj):
        reviews, events = selectors.risk_history(obj)
        context = {"risk": obj, "reviews": reviews, "events": events}
        if self.service.may_edit(request.user, obj):
            context["rating_table"] = selectors.current_scheme().ratings()
        return context
