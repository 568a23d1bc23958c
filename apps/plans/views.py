from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from apps.core import permissions
from apps.core.forms import add_service_errors
from apps.core.views import FilteredTableView
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


class PlanDetailView(TemplateView):
    template_name = "plans/plan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            plan = selectors.plan_detail(plan_id=self.kwargs["pk"], user=self.request.user)
        except ODPlan.DoesNotExist as exc:
            raise Http404("No such plan.") from exc
        context["plan"] = plan
        context["can_edit"] = permissions.can_edit(self.request.user, plan.organisation)
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


class DeliverableDetailView(View):
    """The deliverable with its full history; staff of the owning organisation also get the
    update form, which posts back here."""

    template_name = "plans/deliverable_detail.html"

    def get(self, request, pk):
        deliverable = _visible_deliverable_or_404(request.user, pk)
        form = None
        if permissions.can_edit(request.user, deliverable.organisation):
            form = DeliverableUpdateForm(
                instance=deliverable, owner_choices=people_of(deliverable.organisation)
            )
        return self._render(request, deliverable, form)

    def post(self, request, pk):
        deliverable = _visible_deliverable_or_404(request.user, pk)
        permissions.require_edit(request.user, deliverable.organisation)
        form = DeliverableUpdateForm(
            request.POST,
            instance=Deliverable.objects.get(pk=pk),
            owner_choices=people_of(deliverable.organisation),
        )
        status = 200
        if form.is_valid():
            try:
                services.deliverable_update(
                    deliverable_id=deliverable.pk,
                    acting_user=request.user,
                    expected_version=form.cleaned_data["version"],
                    changes=form.changes(),
                    note=form.cleaned_data["note"],
                )
            except services.StaleVersionError as conflict:
                current = conflict.current
                form = DeliverableUpdateForm(instance=current, owner_choices=people_of(current.organisation))
                form.conflict = True
                messages.error(
                    request,
                    "Someone else saved this deliverable while you were editing it. "
                    "Your changes were not saved: the form now shows the current values.",
                )
                return self._render(request, current, form, status=409)
            except ValidationError as error:
                add_service_errors(form, error)
                status = 400
            else:
                messages.success(request, "Deliverable updated.")
                return redirect(deliverable.get_absolute_url())
        else:
            status = 400
        return self._render(request, deliverable, form, status=status)

    def _render(self, request, deliverable, form, status=200):
        updates, events = selectors.deliverable_history(deliverable)
        context = {"deliverable": deliverable, "form": form, "updates": updates, "events": events}
        return render(request, self.template_name, context, status=status)


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
            error, status = "; ".join(e for errors in form.errors.values() for e in errors), 400
        else:
            try:
                deliverable = services.deliverable_update(
                    deliverable_id=pk,
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
            return redirect(request.POST.get("next") or "plans:deliverable_list")
        html = status_cell(
            deliverable,
            csrf_token=get_token(request),
            next_url=request.POST.get("next", ""),
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
