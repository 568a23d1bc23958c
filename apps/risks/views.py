from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.generic import TemplateView

from apps.core.edit_views import ArchiveView, VersionedCreateView, VersionedEditView
from apps.core.freshness import cached
from apps.core.history.lists import AsAtListMixin
from apps.core.views import FilteredTableView
from apps.organisations import permissions
from apps.organisations.models import Organisation
from apps.organisations.selectors import people_of

from . import selectors, services
from .filters import RiskAsAtFilterSet, RiskFilterSet
from .forms import RiskCreateForm, RiskDetailsForm, RiskReviewForm
from .models import Risk
from .tables import AsAtRiskTable, RiskTable


class RiskListView(AsAtListMixin, FilteredTableView):
    """The risk register; with ``?as_at=YYYY-MM-DD``, as it stood that day."""

    table_class = RiskTable
    filterset_class = RiskFilterSet
    template_name = "risks/risk_list.html"
    export_name = "risks"
    as_at_filterset_class = RiskAsAtFilterSet
    as_at_table_class = AsAtRiskTable
    as_at_title = "Risk register"

    def as_at_rows(self, moment):
        return selectors.risks_as_at(moment, user=self.request.user)

    def as_at_organisations(self):
        return permissions.visible_organisations(self.request.user).values("pk")

    def get_queryset(self):
        return selectors.risk_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not self.as_at:
            user = self.request.user
            chosen = _int_or_none(self.request.GET.get("organisation"))
            # The toolbar is the viewer's own (where they may add a risk, the archived risks they
            # may restore): cached for them alone, until a write where they may read.
            context["add_targets"], context["archived_count"] = cached(
                "risk-toolbar",
                (user.pk, chosen),
                lambda: (
                    selectors.add_targets(user=user, chosen=chosen),
                    selectors.archived(user=user).count(),
                ),
            )
            # The register holds nothing at all (not merely nothing that matches): asked only of
            # an empty page, one query.
            context["register_empty"] = _page_is_empty(context["table"]) and not (
                Risk.objects.visible_to(user).exists()
            )
        return context


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _page_is_empty(table):
    paginator = getattr(table, "paginator", None)
    return (paginator.count if paginator else len(table.rows)) == 0


class HeatmapView(TemplateView):
    """The 5x5 grids over the same filters as the list: each cell links to its filtered list.

    The page's HTML is cached per viewer and address (templates/risks/heatmap.html), so the
    filters, the band scheme and the grids are worked out only when it is drawn: built here
    before the cache was asked, they were most of a warm request (26 ms of it at national
    scale)."""

    template_name = "risks/heatmap.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = SimpleLazyObject(self._page)
        context.update(
            filter=SimpleLazyObject(lambda: page["filter"]),
            grids=SimpleLazyObject(lambda: page["grids"]),
            scheme=SimpleLazyObject(lambda: page["scheme"]),
        )
        return context

    def _page(self):
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
        return {"filter": filterset, "grids": grids, "scheme": scheme}


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


def _register(organisation=None):
    url = reverse("risks:risk_list")
    return url + f"?organisation={organisation.pk}" if organisation is not None else url


class RiskCreateView(VersionedCreateView):
    """Add a risk to an organisation's register (its staff and organisation administrators)."""

    form_class = RiskCreateForm
    service = services.risk_edit
    submit_label = "Add the risk"

    def get_parent(self, request, slug):
        organisation = get_object_or_404(Organisation, slug=slug)
        if not permissions.can_view(request.user, organisation):
            # As the organisation's other pages answer (its self-assessment, its people).
            raise PermissionDenied("You do not have access to this organisation.")
        return organisation

    def parent_values(self, parent):
        return {"organisation": parent}

    def get_form_kwargs(self, request, parent):
        return {"owner_choices": people_of(parent), "plan_choices": parent.plans.order_by("title")}

    def get_initial(self, request, parent):
        plans = list(parent.plans.all()[:2])
        return {"plan": plans[0]} if len(plans) == 1 else {}

    def get_context(self, request, parent):
        return {
            "title": f"Add a risk to {parent.name}'s register",
            "breadcrumbs": [(parent.get_absolute_url(), parent.name), (_register(), "Risk register")],
            "intro": (
                "Score the risk as it stands (severity and likelihood, each 1-5), then as it will "
                "stand once the mitigation works. The ratings and bands are worked out for you."
            ),
            "cancel_url": _register(),
            # The ratings and bands as the scores are chosen, as on the review form.
            "form_extra": "risks/partials/_live_ratings.html",
            "rating_table": selectors.current_scheme().ratings(),
        }

    def create(self, request, parent, form):
        risk = super().create(request, parent, form)
        self.success_message = f"Risk {risk.reference} added to {parent.name}'s register.".replace("  ", " ")
        return risk

    def success_url(self, obj):
        return _register(obj.organisation)


class RiskDetailsEditView(VersionedEditView):
    """Correct what the register says of a risk (reference, wording, category, plan, domains)."""

    template_name = "core/record_form.html"
    form_class = RiskDetailsForm
    service = services.risk_details_edit
    form_only = True
    success_message = "Risk details saved."

    def get_object(self, request, pk):
        return _visible_risk_or_404(request.user, pk)

    def get_form_kwargs(self, obj):
        return {"plan_choices": obj.organisation.plans.order_by("title")}

    def get_context(self, request, obj):
        return {
            "title": f"Edit the details of risk {obj.reference}".strip(),
            "breadcrumbs": [
                (_register(), "Risk register"),
                (obj.get_absolute_url(), obj.reference or "Risk"),
            ],
            "submit_label": "Save details",
            "cancel_url": obj.get_absolute_url(),
        }


class RiskArchiveView(ArchiveView):
    """Archive a risk: it leaves the register, heat map, dashboards and reports; its reviews stay."""

    service = services.risk_edit
    success_message = "Risk archived. It can be restored from the archived risks."

    def get_object(self, request, pk):
        return _visible_risk_or_404(request.user, pk)

    def get_context(self, request, obj):
        return {
            "title": f"Archive risk {obj.reference}".strip(),
            "breadcrumbs": [
                (_register(), "Risk register"),
                (obj.get_absolute_url(), obj.reference or "Risk"),
            ],
            "intro": (
                "An archived risk leaves the register, the heat map, the dashboards and the board "
                "report. Its reviews and history are kept, and it can be restored."
            ),
            "facts": [("Risk", obj.description), ("Organisation", obj.organisation.name)],
            "submit_label": "Archive the risk",
            "cancel_url": obj.get_absolute_url(),
        }

    def success_url(self, obj):
        return _register()


class RiskRestoreView(ArchiveView):
    """Put an archived risk back on the register."""

    service = services.risk_edit
    archive = False
    success_message = "Risk restored to the register."

    def get_object(self, request, pk):
        try:
            # Found among those the user may see; restoring needs edit rights (403 otherwise).
            return selectors.archived(user=request.user, visible=True).get(pk=pk)
        except Risk.DoesNotExist as exc:
            raise Http404("No such archived risk.") from exc

    def get_context(self, request, obj):
        return {
            "title": f"Restore risk {obj.reference}".strip(),
            "breadcrumbs": [
                (_register(), "Risk register"),
                (reverse("risks:risk_archived"), "Archived risks"),
            ],
            "facts": [
                ("Risk", obj.description),
                ("Organisation", obj.organisation.name),
                ("Archived", f"{obj.archived_at:%d/%m/%Y %H:%M}"),
            ],
            "submit_label": "Restore the risk",
            "cancel_url": reverse("risks:risk_archived"),
        }


class ArchivedRiskListView(TemplateView):
    """The archived risks of the organisations the user may edit, each with a link to restore it."""

    template_name = "risks/risk_archived.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if not permissions.editable_organisations(user).exists():
            raise PermissionDenied("Only staff of an organisation may see and restore its archived risks.")
        page = Paginator(selectors.archived(user=user), self.paginate_by).get_page(
            self.request.GET.get("page")
        )
        context.update(page=page, risks=page.object_list)
        return context
