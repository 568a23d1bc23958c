from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import TemplateView
from django_tables2 import RequestConfig

from apps.core.freshness import CachedPaginator
from apps.core.history import as_at as history
from apps.core.input import bad_request, per_page_error
from apps.organisations import permissions
from apps.organisations.models import Membership, Organisation
from apps.reports.charts import paper_trend

from . import charts, selectors
from .tables import CcgProgressTable


def home(request):
    """A logged-in user lands on the dashboard of their organisation (admins and regional or
    national members on the national dashboard)."""
    user = request.user
    if permissions.has_national_view(user):
        return redirect("dashboards:national")
    membership = (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__kind", "pk")
        .first()
    )
    if membership:
        return redirect("dashboards:organisation", slug=membership.organisation.slug)
    return redirect("organisations:national")


class OrganisationDashboardView(TemplateView):
    """An organisation's dashboard; with ``?as_at=YYYY-MM-DD``, from the data as it stood then
    (a bad date answers 400 with the message)."""

    template_name = "dashboards/organisation.html"

    def get(self, request, *args, **kwargs):
        self.as_at, form = history.from_query(request.GET)
        if history.PARAM in request.GET and self.as_at is None:
            context = {"as_at_form": form, "title": "Dashboard", "path": request.path}
            return render(request, "history/as_at_invalid.html", context, status=400)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = get_object_or_404(
            Organisation.objects.select_related("parent"), slug=self.kwargs["slug"]
        )
        if not permissions.can_view(self.request.user, organisation):
            raise PermissionDenied("You do not have access to this organisation's dashboard.")
        data = selectors.organisation_dashboard(organisation, request=self.request, as_at=self.as_at)
        context.update(data)
        context["within"] = organisation.pk
        context["as_at_form"] = history.AsAtForm()
        if data.get("before_records"):  # a day before the records began: only the papers
            context["charts"] = {"paper_trend": paper_trend(context["paper_trend"])}
            return context
        within = QueryDict(mutable=True)
        within["within"] = str(organisation.pk)
        if self.as_at:
            within["as_at"] = self.as_at.param
        for grid in data["heatmap"].values():
            for row in grid["rows"]:
                for cell in row["cells"]:
                    params = within.copy()
                    params.update(cell["params"])
                    cell["query"] = params.urlencode()
        context["charts"] = charts.organisation_charts(data)
        context["charts"]["paper_trend"] = paper_trend(context["paper_trend"])
        return context


class NationalDashboardView(TemplateView):
    template_name = "dashboards/national.html"

    def get(self, request, *args, **kwargs):
        if not permissions.has_national_view(request.user):
            raise PermissionDenied(
                "The national dashboard is for administrators and regional or national members."
            )
        error = per_page_error(request)
        if error:
            return bad_request(request, error)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = CcgProgressTable(
            selectors.ccg_summary(visible=permissions.visible_organisations(self.request.user))
        )
        RequestConfig(self.request, paginate={"per_page": 50, "paginator_class": CachedPaginator}).configure(
            table
        )
        context["table"] = table
        context["regions"] = selectors.region_summary()
        return context
