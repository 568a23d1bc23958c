from django.http import Http404
from django.views.generic import DetailView

from apps.core.views import FilteredTableView
from apps.organisations import permissions

from . import selectors
from .filters import LatFilterSet
from .models import Organisation
from .tables import LatTable


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
