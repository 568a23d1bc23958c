from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from apps.core.edit_views import VersionedEditView
from apps.core.views import FilteredTableView
from apps.organisations import permissions
from apps.organisations.models import Organisation
from apps.organisations.selectors import people_of

from . import selectors, services
from .filters import DeliverableFilterSet
from .forms import DeliverableStatusForm, DeliverableUpdateForm
from .models import Deliverable, ODPlan
from .tables import DeliverableTable
from .widgets import status_cell


def _visible_deliverable_or_404(user, pk):
    try:
        return selectors.deliverable_list(user=user).get(pk=pk)
    except Deliverable.DoesNotExist as exc:
        # Existing but invisible is a 404 too: no hint that another organisation's row exists.
        raise Http404("No such deliverable.") from exc


def _local_url(request, url):
    """``url`` if it stays on this site, else "" (no redirect elsewhere through ``next``)."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return ""


class PlanDetailView(TemplateView):
    template_name = "plans/plan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            detail = selectors.plan_detail(plan_id=self.kwargs["pk"], user=self.request.user)
        except ODPlan.DoesNotExist as exc:
            raise Http404("No such plan.") from exc
        context.update(plan=detail.plan, progress=detail.progress, themes=detail.themes)
        return context


class DeliverableListView(FilteredTableView):
    table_class = DeliverableTable
    filterset_class = DeliverableFilterSet
    template_name = "plans/deliverable_list.html"
    export_name = "deliverables"

    def get_queryset(self):
        return (
            Deliverable.objects.none()
            if not self.request.user.is_authenticated
            else (selectors.deliverable_list(user=self.request.user).with_overdue())
        )

    def get_table_kwargs(self):
        editable = set(
            permissions.editable_organisations(self.request.user)
            .filter(plans__isnull=False)
            .values_list("pk", flat=True)
        )
        return {"editable_org_ids": editable, "request": self.request}


class DeliverableDetailView(VersionedEditView):
    """The deliverable with its full history; staff of the owning organisation also get the
    update form, which posts back here."""

    template_name = "plans/deliverable_detail.html"
    form_class = DeliverableUpdateForm
    service = services.deliverable_edit
    success_message = "Deliverable updated."
    conflict_message = (
        "Someone else saved this deliverable while you were editing it. Your changes were not saved: "
        "the form shows the current values, and what you typed is shown beside it."
    )

    def get_object(self, request, pk):
        return _visible_deliverable_or_404(request.user, pk)

    def get_form_kwargs(self, obj):
        return {"owner_choices": people_of(obj.organisation)}

    def get_context(self, request, obj):
        updates, events = selectors.deliverable_history(obj)
        return {"deliverable": obj, "updates": updates, "events": events}


class DeliverableStatusView(View):
    """In-place status change from the list (HTMX): the same service and rules as the form.
    Answers with the table row, re-rendered."""

    http_method_names = ["post"]

    def post(self, request, pk):
        deliverable = _visible_deliverable_or_404(request.user, pk)
        permissions.require_edit(request.user, deliverable.organisation)
        form = DeliverableStatusForm(request.POST)
        error, status = None, 200
        if not form.is_valid():
            error, status = "; ".join(str(e) for errors in form.errors.values() for e in errors), 400
        else:
            try:
                deliverable = services.deliverable_update(
                    deliverable_id=pk,
                    via="in-place",
                    acting_user=request.user,
                    expected_version=form.cleaned_data["version"],
                    changes={"status": form.cleaned_data["status"]},
                    note=form.cleaned_data["note"],
                )
            except services.StaleVersionError as conflict:
                deliverable = conflict.current
                error, status = "Someone else changed this deliverable; here are the current values.", 409
            except ValidationError as exc:
                error, status = " ".join(exc.messages), 400
        deliverable = selectors.deliverable_list(user=request.user).with_overdue().get(pk=pk)
        if not request.htmx:
            if error:
                messages.error(request, error)
            else:
                messages.success(request, "Status updated.")
            return redirect(_local_url(request, request.POST.get("next")) or "plans:deliverable_list")
        html = status_cell(
            deliverable,
            csrf_token=get_token(request),
            next_url=_local_url(request, request.POST.get("next")),
            error=error,
            saved=error is None,
            out_of_band=True,
        )
        return HttpResponse(html, status=status)


class SelfAssessmentView(TemplateView):
    template_name = "plans/self_assessment.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = get_object_or_404(Organisation, slug=self.kwargs["slug"])
        if not permissions.can_view(self.request.user, organisation):
            raise PermissionDenied("You do not have access to this organisation.")
        assessment, levels, domains = selectors.self_assessment(organisation=organisation)
        context.update(organisation=organisation, assessment=assessment, levels=levels, domains=domains)
        return context
