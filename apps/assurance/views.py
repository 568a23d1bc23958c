import hashlib
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import TemplateView

from apps.core import receipts
from apps.core.edit_views import VersionedCreateView, VersionedEditView
from apps.core.forms import add_service_errors
from apps.core.history import as_at as as_at_module
from apps.core.views import FilteredTableView
from apps.organisations import permissions
from apps.organisations.filters import within
from apps.organisations.models import Organisation
from apps.organisations.permissions import OrganisationEdit
from apps.plans.models import Deliverable
from apps.reports.pdf import PdfError
from apps.risks.models import Risk

from . import committee_papers, selectors, services
from . import paper as assurance_paper
from .filters import FrameworkFilterSet, PrincipalRiskFilterSet
from .forms import (
    AssuranceForm,
    CommitteeForm,
    CommitteePaperForm,
    ControlForm,
    GapForm,
    PrincipalRiskForm,
    RiskAppetiteForm,
    StrategicObjectiveForm,
)
from .models import (
    APPETITE_DESCRIPTIONS,
    Assurance,
    Committee,
    CommitteePaper,
    Control,
    Gap,
    PrincipalRisk,
    RiskAppetite,
)
from .tables import PrincipalRiskTable

logger = logging.getLogger(__name__)

# Organisations whose framework page is the roll-up of the principal risks beneath them.
ROLL_UP_KINDS = (Organisation.Kind.NATIONAL, Organisation.Kind.REGION, Organisation.Kind.LAT)


def _visible_organisation(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    if not permissions.can_view(request.user, organisation):
        raise PermissionDenied("You do not have access to this organisation.")
    return organisation


def framework_url(organisation):
    return reverse("assurance:framework", args=[organisation.slug])


class PrincipalRiskListView(FilteredTableView):
    """Every principal risk the user may see (a dashboard figure's list; with ``within``, the
    roll-up beneath a LAT, region or the national body)."""

    table_class = PrincipalRiskTable
    filterset_class = PrincipalRiskFilterSet
    template_name = "assurance/principal_risk_list.html"
    export_name = "board-assurance-framework"

    def get_queryset(self):
        return selectors.principal_risk_list(user=self.request.user)


class FrameworkView(FilteredTableView):
    """``/organisations/<slug>/assurance/``: the framework as a board reads it, objective by
    objective, over the filters; for a LAT, region or the national body the principal risks
    beneath it. ``?_export=csv`` or ``xlsx``: the same risks as a spreadsheet."""

    table_class = PrincipalRiskTable
    filterset_class = FrameworkFilterSet
    template_name = "assurance/framework.html"
    export_name = "board-assurance-framework"

    def dispatch(self, request, *args, **kwargs):
        self.organisation = _visible_organisation(request, kwargs["slug"])
        self.roll_up = self.organisation.kind in ROLL_UP_KINDS
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if as_at_module.PARAM in request.GET and not self.roll_up:
            return self.as_at_page(request)
        return super().get(request, *args, **kwargs)

    def as_at_page(self, request):
        """The framework as it stood at the end of a day (read-only, unfiltered), or the form's
        error (400) for a date it cannot read."""
        as_at, form = as_at_module.from_query(request.GET)
        organisation = self.organisation
        context = {
            "organisation": organisation,
            "as_at": as_at,
            "as_at_form": form,
            "live_url": request.path,
            "path": request.path,
            "title": "Board Assurance Framework",
        }
        if as_at is None:
            return render(request, "history/as_at_invalid.html", context, status=400)
        context["baf"] = assurance_paper.context(assurance_paper.snapshot_as_at(organisation, as_at))
        return render(request, "assurance/framework_as_at.html", context)

    def get_template_names(self):
        # Filtered by HTMX, the page answers whole and the filter panel takes its #table-region:
        # the framework's, not the table's partial (the roll-up's is the table's).
        if self.roll_up:
            return super().get_template_names()
        return [self.template_name]

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["organisation"] = None if self.roll_up else self.organisation
        return kwargs

    def get_queryset(self):
        risks = selectors.principal_risk_list(user=self.request.user)
        if self.roll_up:
            return within(risks, "risk__organisation", self.organisation.pk)
        return risks.filter(risk__organisation=self.organisation)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.organisation
        may_edit = permissions.can_edit(self.request.user, organisation)
        context.update(organisation=organisation, roll_up=self.roll_up, may_edit=may_edit)
        if self.roll_up:
            return context
        paper, previous = selectors.last_paper_ratings(organisation)
        # The filtered rows (none when the filters cannot be read, as FilterView decides).
        risks = list(selectors.with_framework(self.object_list))
        appetites = selectors.appetites_of(organisation)
        context.update(
            groups=selectors.framework(organisation, risks, previous=previous),
            risk_count=len(risks),
            last_paper=paper,
            appetites=[(a, APPETITE_DESCRIPTIONS[a.level]) for a in appetites],
            committees=list(selectors.committees_of(organisation)),
            today=_today(),
        )
        return context


def _today():
    from django.utils import timezone

    return timezone.localdate()


class PrincipalRiskDetailView(TemplateView):
    """One principal risk: its scores, objectives, controls and assurances, gaps and actions."""

    template_name = "assurance/principal_risk_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            principal = selectors.with_framework(selectors.principal_risk_list(user=self.request.user)).get(
                pk=kwargs["pk"]
            )
        except PrincipalRisk.DoesNotExist as exc:
            raise Http404("No such principal risk.") from exc
        organisation = principal.risk.organisation
        paper, previous = selectors.last_paper_ratings(organisation)
        selectors.framework(organisation, [principal], previous=previous)
        context.update(
            principal=principal,
            organisation=organisation,
            may_edit=permissions.can_edit(self.request.user, organisation),
            last_paper=paper,
            today=_today(),
        )
        return context


class CommitteeDetailView(TemplateView):
    """A committee: the principal risks it monitors and the assurances it received."""

    template_name = "assurance/committee_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            committee, monitored, received = selectors.committee_detail(
                user=self.request.user, committee_id=kwargs["pk"]
            )
        except Committee.DoesNotExist as exc:
            raise Http404("No such committee.") from exc
        context.update(
            committee=committee,
            monitored=monitored,
            received=received,
            papers=committee_papers.papers_of(committee),
            may_edit=permissions.can_edit(self.request.user, committee.organisation),
        )
        return context


# --- Committee papers (apps/assurance/committee_papers.py) --------------------------------------


def _visible_committee_or_404(user, pk):
    try:
        return (
            Committee.objects.filter(permissions.visible_q(user, "organisation"))
            .select_related("organisation")
            .get(pk=pk)
        )
    except Committee.DoesNotExist as exc:
        raise Http404("No such committee.") from exc


class CommitteePaperIssueView(View):
    """Issue a paper to a meeting of the committee: GET the form (the meeting's date and the
    paper's title), POST issues it through ``committee_papers.issue_committee_paper``. Staff and
    organisation administrators of its organisation only (403 for others who can see the
    committee, 404 for those who cannot)."""

    template_name = "assurance/committee_paper_issue.html"

    def dispatch(self, request, pk):
        self.committee = _visible_committee_or_404(request.user, pk)
        if not permissions.can_edit(request.user, self.committee.organisation):
            raise PermissionDenied("Only staff of the committee's organisation may issue its papers.")
        return super().dispatch(request, pk)

    def get(self, request, pk):
        latest = (
            committee_papers.current_papers(self.committee.pk).only(*committee_papers.LIST_FIELDS).first()
        )
        form = CommitteePaperForm(
            initial={
                "latest": committee_papers.latest_number(self.committee.pk),
                "title": f"{self.committee.name}: Board Assurance Framework",
                "meeting_date": _today().isoformat(),
            }
        )
        return self.render(request, form, latest)

    def post(self, request, pk):
        latest = (
            committee_papers.current_papers(self.committee.pk).only(*committee_papers.LIST_FIELDS).first()
        )
        form = CommitteePaperForm(request.POST)
        if not form.is_valid():
            return self.render(request, form, latest, status=400)
        try:
            issued = committee_papers.issue_committee_paper(
                committee_id=self.committee.pk,
                acting_user=request.user,
                meeting_date=form.cleaned_data["meeting_date"],
                title=form.cleaned_data["title"],
                latest_seen=form.cleaned_data["latest"],
                correction_note=form.cleaned_data["correction_note"],
            )
        except committee_papers.IssueConflict:
            messages.error(
                request,
                "Another paper of this committee was issued after you opened this page, so nothing was "
                "issued. Check the latest paper below, then issue again.",
            )
            data = request.POST.copy()
            data["latest"] = str(committee_papers.latest_number(self.committee.pk))
            latest = (
                committee_papers.current_papers(self.committee.pk).only(*committee_papers.LIST_FIELDS).first()
            )
            return self.render(request, CommitteePaperForm(data), latest, status=409)
        except PdfError:
            logger.exception("Committee %s: the paper's PDF could not be made; nothing was issued.", pk)
            messages.error(
                request,
                "The paper's PDF could not be made, so nothing was issued. Try again later; if it fails "
                "again, tell the administrator.",
            )
            return self.render(request, form, latest, status=503)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render(request, form, latest, status=400)
        receipts.saved(
            request,
            f"Paper {issued.number} issued to {self.committee.name} for the meeting of "
            f"{issued.meeting_date:%d/%m/%Y}.",
        )
        return redirect(issued)

    def render(self, request, form, latest, status=200):
        context = {"committee": self.committee, "form": form, "latest": latest}
        return render(request, self.template_name, context, status=status)


def _visible_committee_paper_or_404(user, pk):
    try:
        return committee_papers.paper_detail(user=user, paper_id=pk)
    except CommitteePaper.DoesNotExist as exc:
        raise Http404("No such paper.") from exc


class CommitteePaperDetailView(View):
    """A committee paper, as the HTML kept when it was issued: never redrawn from live data."""

    def get(self, request, pk):
        issued = _visible_committee_paper_or_404(request.user, pk)
        intact = hashlib.sha256(issued.html.encode("utf-8")).hexdigest() == issued.html_sha256
        if not intact:
            logger.error("Committee paper %s: its HTML does not match its SHA-256.", issued.pk)
        context = {
            "paper": issued,
            "committee": issued.committee,
            "html_intact": intact,
            # Our own template's output, escaped when rendered at issue; the database refuses any
            # change to the row since.
            "body": mark_safe(issued.html) if intact else "",
            "superseded_by": getattr(issued, "superseded_by", None),
        }
        return render(request, "assurance/committee_paper_detail.html", context)


class CommitteePaperPdfView(View):
    """The PDF rendered when the paper was issued, byte for byte, checked against its SHA-256."""

    def get(self, request, pk):
        issued = _visible_committee_paper_or_404(request.user, pk)
        data = committee_papers.pdf_bytes(issued)
        if data is None:
            return render(request, "reports/paper_pdf_unavailable.html", {"paper": issued}, status=503)
        slug = issued.committee.organisation.slug
        filename = (
            f"committee-paper-{slug}-{issued.committee_id}-{issued.meeting_date:%Y-%m-%d}"
            f"-paper-{issued.number}.pdf"
        )
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Content-Length"] = str(len(data))
        return response


# --- Adding and editing: each through its service ---------------------------------------------


def _breadcrumbs(organisation, *extra):
    return [
        (organisation.get_absolute_url(), organisation.name),
        (framework_url(organisation), "Board Assurance Framework"),
        *extra,
    ]


class _OrganisationCreate(VersionedCreateView):
    """Add a record that belongs to an organisation of the framework."""

    noun = ""

    def get_parent(self, request, slug):
        return _visible_organisation(request, slug)

    def parent_values(self, parent):
        return {"organisation": parent}

    def organisation(self, parent):
        return parent

    def get_context(self, request, parent):
        organisation = self.organisation(parent)
        return {
            "title": f"Add {self.noun}",
            "breadcrumbs": _breadcrumbs(organisation),
            "cancel_url": framework_url(organisation),
        }

    def success_url(self, obj):
        return framework_url(self.organisation(self.parent_of(obj)))

    def parent_of(self, obj):
        return obj.organisation


class _Edit(VersionedEditView):
    """Edit a record of the framework (its organisation's staff; 403 to anyone else)."""

    template_name = "core/record_form.html"
    form_only = True
    model: type[Model]
    service: OrganisationEdit
    select_related: tuple[str, ...] = ()
    noun = ""
    success_message = "Saved."

    def get_object(self, request, pk):
        obj = self.model._default_manager.select_related(*self.select_related).filter(pk=pk).first()
        if obj is None or not permissions.can_view(request.user, self.service.organisation_of(obj)):
            raise Http404("No such record.")
        return obj

    def get_context(self, request, obj):
        organisation = self.service.organisation_of(obj)
        return {
            "title": f"Edit {self.noun}",
            "breadcrumbs": _breadcrumbs(organisation),
            "submit_label": "Save",
            "cancel_url": framework_url(organisation),
        }

    def success_url(self, obj):
        return framework_url(self.service.organisation_of(obj))


class StrategicObjectiveCreateView(_OrganisationCreate):
    form_class = StrategicObjectiveForm
    service = services.objective_edit
    submit_label = "Add the objective"
    success_message = "Strategic objective added."
    noun = "a strategic objective"

    def get_form_kwargs(self, request, parent):
        return {
            "objective_choices": selectors.plan_objectives(parent),
            "theme_choices": selectors.plan_themes(parent),
        }


class StrategicObjectiveEditView(_Edit):
    form_class = StrategicObjectiveForm
    service = services.objective_edit
    model = services.objective_edit.model
    select_related = ("organisation",)
    noun = "the strategic objective"

    def get_form_kwargs(self, obj):
        return {
            "objective_choices": selectors.plan_objectives(obj.organisation),
            "theme_choices": selectors.plan_themes(obj.organisation),
        }


class PrincipalRiskCreateView(_OrganisationCreate):
    form_class = PrincipalRiskForm
    service = services.principal_risk_edit
    submit_label = "Add the principal risk"
    success_message = "Principal risk added to the framework."
    noun = "a principal risk"

    def parent_values(self, parent):
        return {}

    def new_instance(self, parent):
        # Permission is asked of the organisation the risk will belong to: a stand-in risk of it.
        return PrincipalRisk(risk=Risk(organisation=parent))

    def get_form_kwargs(self, request, parent):
        return {
            "risk_choices": selectors.risks_to_add(parent),
            "objective_choices": parent.strategic_objectives.order_by("position", "pk"),
            "committee_choices": selectors.committees_of(parent),
        }

    def parent_of(self, obj):
        return obj.risk.organisation


class PrincipalRiskEditView(_Edit):
    form_class = PrincipalRiskForm
    service = services.principal_risk_edit
    model = PrincipalRisk
    select_related = ("risk__organisation",)
    noun = "the principal risk"

    def get_form_kwargs(self, obj):
        organisation = obj.risk.organisation
        return {
            "objective_choices": organisation.strategic_objectives.order_by("position", "pk"),
            "committee_choices": selectors.committees_of(organisation),
        }

    def success_url(self, obj):
        return obj.get_absolute_url()


class _UnderPrincipalRisk(_OrganisationCreate):
    """Add a record under a principal risk (a control, a gap)."""

    def get_parent(self, request, pk):
        principal = (
            PrincipalRisk.objects.visible_to(request.user)
            .select_related("risk__organisation")
            .filter(pk=pk)
            .first()
        )
        if principal is None:
            raise Http404("No such principal risk.")
        return principal

    def parent_values(self, parent):
        return {"principal_risk": parent}

    def organisation(self, parent):
        return parent.risk.organisation

    def parent_of(self, obj):
        return obj.principal_risk

    def success_url(self, obj):
        return obj.principal_risk.get_absolute_url()

    def get_context(self, request, parent):
        context = super().get_context(request, parent)
        context["facts"] = [("Principal risk", parent.risk.description)]
        context["cancel_url"] = parent.get_absolute_url()
        return context


class ControlCreateView(_UnderPrincipalRisk):
    form_class = ControlForm
    service = services.control_edit
    submit_label = "Add the control"
    success_message = "Control added."
    noun = "a key control"


class ControlEditView(_Edit):
    form_class = ControlForm
    service = services.control_edit
    model = Control
    select_related = ("principal_risk__risk__organisation",)
    noun = "the control"

    def success_url(self, obj):
        return obj.get_absolute_url()


class GapCreateView(_UnderPrincipalRisk):
    form_class = GapForm
    service = services.gap_edit
    submit_label = "Add the gap"
    success_message = "Gap recorded."
    noun = "a gap in control or assurance"

    def get_form_kwargs(self, request, parent):
        return {"deliverable_choices": _deliverables(parent.risk.organisation)}


class GapEditView(_Edit):
    form_class = GapForm
    service = services.gap_edit
    model = Gap
    select_related = ("principal_risk__risk__organisation",)
    noun = "the gap"

    def get_form_kwargs(self, obj):
        return {"deliverable_choices": _deliverables(obj.principal_risk.risk.organisation)}

    def success_url(self, obj):
        return obj.get_absolute_url()


def _deliverables(organisation):
    return (
        Deliverable.objects.current().filter(theme__plan__organisation=organisation).select_related("theme")
    )


class AssuranceCreateView(_OrganisationCreate):
    form_class = AssuranceForm
    service = services.assurance_edit
    submit_label = "Add the assurance"
    success_message = "Assurance added."
    noun = "an assurance"

    def get_parent(self, request, pk):
        control = Control.objects.select_related("principal_risk__risk__organisation").filter(pk=pk).first()
        if control is None or not permissions.can_view(
            request.user, control.principal_risk.risk.organisation
        ):
            raise Http404("No such control.")
        return control

    def parent_values(self, parent):
        return {"control": parent}

    def organisation(self, parent):
        return parent.principal_risk.risk.organisation

    def parent_of(self, obj):
        return obj.control

    def success_url(self, obj):
        return obj.control.principal_risk.get_absolute_url()

    def get_form_kwargs(self, request, parent):
        return {"committee_choices": selectors.committees_of(self.organisation(parent))}

    def get_context(self, request, parent):
        context = super().get_context(request, parent)
        context["facts"] = [("Control", parent.description)]
        return context


class AssuranceEditView(_Edit):
    form_class = AssuranceForm
    service = services.assurance_edit
    model = Assurance
    select_related = ("control__principal_risk__risk__organisation",)
    noun = "the assurance"

    def get_form_kwargs(self, obj):
        return {"committee_choices": selectors.committees_of(self.service.organisation_of(obj))}

    def success_url(self, obj):
        return obj.get_absolute_url()


class CommitteeCreateView(_OrganisationCreate):
    form_class = CommitteeForm
    service = services.committee_edit
    submit_label = "Add the committee"
    success_message = "Committee added."
    noun = "a committee"


class CommitteeEditView(_Edit):
    form_class = CommitteeForm
    service = services.committee_edit
    model = Committee
    select_related = ("organisation",)
    noun = "the committee"

    def success_url(self, obj):
        return obj.get_absolute_url()


class RiskAppetiteCreateView(_OrganisationCreate):
    form_class = RiskAppetiteForm
    service = services.appetite_edit
    submit_label = "Set the appetite"
    success_message = "Risk appetite set."
    noun = "the board's appetite for a category"


class RiskAppetiteEditView(_Edit):
    form_class = RiskAppetiteForm
    service = services.appetite_edit
    model = RiskAppetite
    select_related = ("organisation",)
    noun = "the board's appetite"
