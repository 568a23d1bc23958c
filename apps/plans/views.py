from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from apps.core import receipts
from apps.core.bounds import NOTE_MAX_LENGTH
from apps.core.edit_views import VersionedEditView
from apps.core.views import FilteredTableView
from apps.organisations import permissions
from apps.organisations.models import Organisation
from apps.organisations.selectors import people_of
from apps.reports import as_at
from apps.risks import selectors as risk_selectors

from . import imports, selectors, services
from .filters import DeliverableFilterSet
from .forms import (
    DeliverableStatusForm,
    DeliverableUpdateForm,
    NewPlanImportForm,
    PlanImportConfirmForm,
    PlanImportForm,
)
from .models import Deliverable, ODPlan
from .tables import AsAtDeliverableTable, DeliverableTable
from .widgets import overdue_cell, status_cell, typed_text


def _visible_deliverable_or_404(user, pk):
    try:
        return selectors.deliverable_list(user=user).get(pk=pk)
    except Deliverable.DoesNotExist as exc:
        # Existing but invisible is a 404 too: no hint that another organisation's row exists.
        raise Http404("No such deliverable.") from exc


def _local_url(request, url):
    """``url`` if it is a path on this site, else "" (no redirect elsewhere through ``next``, and
    nothing that ``redirect`` would take for a view name)."""
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    ):
        return url
    return ""


class PlanDetailView(TemplateView):
    """The plan page. Its body is cached until the data changes (templates/plans/plan_detail.html),
    so the themes and deliverables are read only when it is drawn (lazily, on a miss)."""

    template_name = "plans/plan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        try:
            plan = selectors.plan_list(user=user).get(pk=self.kwargs["pk"])
        except ODPlan.DoesNotExist as exc:
            raise Http404("No such plan.") from exc
        detail = SimpleLazyObject(lambda: selectors.plan_detail(plan_id=plan.pk, user=user))
        context.update(
            plan=plan,
            may_edit=permissions.can_edit(user, plan.organisation),
            progress=SimpleLazyObject(lambda: detail.progress),
            themes=SimpleLazyObject(lambda: detail.themes),
        )
        return context


class DeliverableListView(as_at.AsAtListMixin, FilteredTableView):
    """Every deliverable the user may see; with ``?as_at=YYYY-MM-DD``, as they stood that day."""

    table_class = DeliverableTable
    filterset_class = DeliverableFilterSet
    template_name = "plans/deliverable_list.html"
    export_name = "deliverables"
    as_at_filterset_class = as_at.DeliverableAsAtFilterSet
    as_at_table_class = AsAtDeliverableTable
    as_at_title = "Deliverables and actions"

    def as_at_rows(self, moment):
        return as_at.deliverables(moment, user=self.request.user)

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
        # The history section is cached until the data changes (deliverable_detail.html): it is
        # read only when it is drawn.
        history = SimpleLazyObject(lambda: selectors.deliverable_history(obj))
        return {
            "deliverable": obj,
            "updates": SimpleLazyObject(lambda: history[0]),
            "events": SimpleLazyObject(lambda: history[1]),
        }


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
                error = (
                    f"Someone else changed this deliverable meanwhile: it is now "
                    f"{deliverable.get_status_display()}. "
                    "Your choice and note are kept; save again to apply them."
                )
                status = 409
            except ValidationError as exc:
                error, status = " ".join(exc.messages), 400
        deliverable = selectors.deliverable_list(user=request.user).with_overdue().get(pk=pk)
        # After a refused save, what the user sent is shown beside the current values.
        typed = {
            "status": request.POST.get("status", ""),
            "note": form.data.get("note", "").replace("\x00", "")[:NOTE_MAX_LENGTH],
        }
        if error is None:
            # Also after an HTMX swap: kept in the session for the next page, in case this
            # answer never reaches the browser (apps/core/receipts.py).
            receipts.saved(request, f"status of '{deliverable}' set to {deliverable.get_status_display()}.")
        if not request.htmx:
            if error:
                messages.error(request, error + typed_text(typed))
            return redirect(_local_url(request, request.POST.get("next")) or "plans:deliverable_list")
        html = status_cell(
            deliverable,
            csrf_token=get_token(request),
            next_url=_local_url(request, request.POST.get("next")),
            error=error,
            saved=error is None,
            out_of_band=True,
            typed=typed if error else None,
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


# --- Importing a plan from a spreadsheet ----------------------------------------------------


class PlanImportMixin:
    """The plan being imported into (``/plans/<pk>/import/``), or none for a new plan
    (``/plans/import/``), and the organisations the user may import for."""

    def setup_target(self, request, pk=None):
        self.plan = None
        if pk is not None:
            try:
                self.plan = selectors.plan_list(user=request.user).get(pk=pk)
            except ODPlan.DoesNotExist as exc:
                raise Http404("No such plan.") from exc
            permissions.require_edit(request.user, self.plan.organisation)
            self.organisations = None
        else:
            self.organisations = permissions.editable_organisations(request.user).order_by("name")
            if not self.organisations.exists():
                raise PermissionDenied("Only staff of an organisation may import its plan.")

    def new_form(self, data=None, files=None, initial=None):
        if self.plan is not None:
            return PlanImportForm(data, files)
        return NewPlanImportForm(data, files, organisations=self.organisations, initial=initial)

    def action_urls(self):
        if self.plan is not None:
            return (
                reverse("plans:plan_import", args=[self.plan.pk]),
                reverse("plans:plan_import_confirm", args=[self.plan.pk]),
            )
        return reverse("plans:plan_import_new"), reverse("plans:plan_import_new_confirm")

    def render_page(self, request, form, preview=None, token=None, status=200, conflict=False):
        upload_url, confirm_url = self.action_urls()
        context = {
            "plan": self.plan,
            "form": form,
            "preview": preview,
            "token": token,
            "conflict": conflict,
            "upload_url": upload_url,
            "confirm_url": confirm_url,
            "columns": imports.COLUMNS,
            "ignored_columns": imports.IGNORED_COLUMNS,
        }
        template = "plans/import_preview.html" if preview is not None else "plans/import.html"
        return render(request, template, context, status=status)


class PlanImportView(PlanImportMixin, View):
    """GET: the upload form and the template. POST: the preview of the uploaded file (nothing
    is saved); the file is kept for the confirmation when it can be imported."""

    def get(self, request, pk=None):
        self.setup_target(request, pk)
        return self.render_page(request, self.new_form())

    def post(self, request, pk=None):
        self.setup_target(request, pk)
        form = self.new_form(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(request, form, status=400)
        upload = form.cleaned_data["file"]
        data = upload.read()
        organisation = self.plan.organisation if self.plan else form.cleaned_data["organisation"]
        try:
            preview = imports.build_preview(
                target=imports.Target.load(organisation, self.plan), file_name=upload.name, data=data
            )
        except imports.FileRejected as rejected:
            form.add_error("file", str(rejected))
            return self.render_page(request, form, status=400)
        token = None
        if preview.ok and (preview.has_changes or self.plan is None):
            new_plan = None
            if self.plan is None:
                new_plan = {k: form.cleaned_data[k] for k in ("title", "period_label")}
            token = imports.stash(
                request,
                data=data,
                file_name=upload.name,
                organisation=organisation,
                plan=self.plan,
                preview=preview,
                new_plan=new_plan,
            )
        kept = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        return self.render_page(
            request, self.new_form(initial=kept), preview, token, status=200 if preview.ok else 400
        )


class PlanImportConfirmView(PlanImportMixin, View):
    """The confirmation: ``imports.apply`` reads the kept file again against the plan as it is
    now, under the plan's lock; if anything differs from the preview the user saw, nothing is
    saved and the current preview is shown (409), rows changed by someone else since marked as
    conflicts. Otherwise the whole file is imported in one transaction, with the conflicting
    rows the user ticked."""

    http_method_names = ["post"]

    def post(self, request, pk=None):
        self.setup_target(request, pk)
        form = PlanImportConfirmForm(request.POST)
        pending = imports.unstash(request, form.cleaned_data["token"]) if form.is_valid() else None
        if pending is None or pending.plan_id != (self.plan.pk if self.plan else None):
            messages.error(
                request,
                "That upload is no longer waiting for confirmation (it expired after an hour, was "
                "already imported, or belongs to another page). Nothing was saved: upload the file again.",
            )
            return self.render_page(request, self.new_form(), status=400)
        organisation = get_object_or_404(
            permissions.editable_organisations(request.user), pk=pending.organisation_id
        )
        accept = [value for value in request.POST.getlist("accept") if value.isdigit()]
        try:
            plan = imports.apply(
                acting_user=request.user,
                organisation=organisation,
                plan=self.plan,
                file_name=pending.file_name,
                data=pending.data,
                fingerprint=pending.fingerprint,
                base_versions=pending.versions,
                new_plan=pending.new_plan,
                accept=accept,
            )
        except imports.ImportConflict as conflict:
            preview = conflict.preview or imports.build_preview(
                target=imports.Target.load(organisation, self.plan, pending.versions),
                file_name=pending.file_name,
                data=pending.data,
            )
            if preview.ok:
                imports.refresh(request, pending.token, preview)
            messages.error(
                request,
                "Someone changed this plan after your preview, so nothing was imported. The preview below "
                "is of the plan as it is now, with the rows they changed marked as conflicts: check it, "
                "then confirm again.",
            )
            token = pending.token if preview.ok else None
            return self.render_page(request, self.new_form(), preview, token, status=409, conflict=True)
        except (imports.FileRejected, ValidationError) as error:
            imports.discard(request, pending.token)
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return self.render_page(request, self.new_form(), status=400)
        imports.discard(request, pending.token)
        counts, chosen = pending.counts, len(accept)
        receipts.saved(
            request,
            f"Imported {pending.file_name}: {counts.get('new', 0)} added, "
            f"{counts.get('changed', 0) + chosen} changed, "
            f"{counts.get('unchanged', 0) + counts.get('conflicts', 0) - chosen} unchanged.",
        )
        return redirect(plan.get_absolute_url())


class PlanImportTemplateView(View):
    """The empty template, as XLSX or CSV: the import's columns, defined once in imports.py."""

    def get(self, request, file_format):
        if file_format not in ("xlsx", "csv"):
            raise Http404("The template comes as .xlsx or .csv.")
        if file_format == "xlsx":
            response = HttpResponse(
                imports.template_xlsx(),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        else:
            response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="od-plan-template.{file_format}"'
        return response


# --- My work --------------------------------------------------------------------------------


class MyWorkView(TemplateView):
    """What the user owns: deliverables and actions with their status control, and risks with
    a link to their review form; overdue first, then due in 30 days, then the rest."""

    template_name = "my/work.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        deliverables = list(selectors.owned_by(user))
        risks = list(risk_selectors.owned_by(user))
        org_ids = {d.theme.plan.organisation_id for d in deliverables}
        editable = set(
            permissions.editable_organisations(user).filter(pk__in=org_ids).values_list("pk", flat=True)
        )
        csrf_token = get_token(self.request)
        here = self.request.get_full_path()
        for deliverable in deliverables:
            if deliverable.theme.plan.organisation_id in editable:
                deliverable.control = status_cell(deliverable, csrf_token=csrf_token, next_url=here)
            deliverable.overdue_marker = overdue_cell(deliverable)
        context.update(
            deliverables=deliverables,
            risks=risks,
            can_import=permissions.editable_organisations(user).exists(),
        )
        return context
