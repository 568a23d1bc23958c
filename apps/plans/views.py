from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
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
from apps.core.edit_views import ArchiveView, VersionedCreateView, VersionedEditView
from apps.core.freshness import cached
from apps.core.history.lists import AsAtListMixin
from apps.core.views import FilteredTableView
from apps.organisations import permissions
from apps.organisations.models import Membership, Organisation
from apps.organisations.selectors import people_of
from apps.risks import selectors as risk_selectors

from . import imports, selectors, services
from .filters import DeliverableAsAtFilterSet, DeliverableFilterSet
from .forms import (
    DeliverableCreateForm,
    DeliverableDetailsForm,
    DeliverableStatusForm,
    DeliverableUpdateForm,
    NewPlanImportForm,
    ObjectiveForm,
    PlanImportConfirmForm,
    PlanImportForm,
    SelfAssessmentForm,
    ThemeForm,
)
from .models import AuthorisationDomain, Deliverable, MaturityLevel, ODPlan, SelfAssessment, Theme
from .tables import AsAtDeliverableTable, DeliverableTable
from .widgets import overdue_cell, status_cell, typed_text


def _visible_deliverable_or_404(user, pk):
    try:
        return selectors.deliverable_list(user=user).get(pk=pk)
    except Deliverable.DoesNotExist as exc:
        # Existing but invisible is a 404 too: no hint that another organisation's row exists.
        raise Http404("No such deliverable.") from exc


def _own_organisation(user):
    """The organisation whose plan the user most likely brings in: the widest one where they are
    staff or an organisation administrator (a CCG before its localities); none for an
    administrator who belongs nowhere."""
    kinds = list(Organisation.Kind.values)
    memberships = user.memberships.filter(role__in=Membership.EDITOR_ROLES).select_related("organisation")
    organisations = [m.organisation for m in memberships]
    return min(organisations, key=lambda o: (kinds.index(o.kind), o.name), default=None)


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


class DeliverableListView(AsAtListMixin, FilteredTableView):
    """Every deliverable the user may see; with ``?as_at=YYYY-MM-DD``, as they stood that day."""

    table_class = DeliverableTable
    filterset_class = DeliverableFilterSet
    template_name = "plans/deliverable_list.html"
    export_name = "deliverables"
    as_at_filterset_class = DeliverableAsAtFilterSet
    as_at_table_class = AsAtDeliverableTable
    as_at_title = "Deliverables and actions"

    def as_at_rows(self, moment):
        return selectors.deliverables_as_at(moment, user=self.request.user)

    def as_at_organisations(self):
        return permissions.visible_organisations(self.request.user).values("pk")

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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not self.as_at:
            user = self.request.user
            chosen = _int_or_none(self.request.GET.get("plan"))
            # The toolbar is the viewer's own (the plans they may add to, the archived rows they
            # may restore): cached for them alone, until a write where they may read.
            context["add_targets"], context["archived_count"] = cached(
                "deliverable-toolbar",
                (user.pk, chosen),
                lambda: (
                    selectors.add_targets(user=user, chosen=chosen),
                    selectors.archived_deliverables(user=user).count(),
                ),
            )
        return context


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
        context.update(
            organisation=organisation,
            assessment=assessment,
            levels=levels,
            domains=domains,
            may_edit=permissions.can_edit(self.request.user, organisation),
            history=selectors.self_assessment_history(assessment) if assessment else [],
            assessments=list(SelfAssessment.objects.filter(organisation=organisation).latest_first()),
        )
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
            self.organisations = self.own_organisation = None
        else:
            self.organisations = permissions.editable_organisations(request.user).order_by("name")
            if not self.organisations.exists():
                raise PermissionDenied("Only staff of an organisation may import its plan.")
            self.own_organisation = _own_organisation(request.user)

    def new_form(self, data=None, files=None, initial=None):
        if self.plan is not None:
            return PlanImportForm(data, files)
        return NewPlanImportForm(
            data, files, organisations=self.organisations, own=self.own_organisation, initial=initial
        )

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
            # Owning nothing yet: where the open work is (the dashboard's "still to deliver").
            open_deliverables_url=reverse("plans:deliverable_list")
            + "?"
            + urlencode({"status": list(Deliverable.OPEN_STATUSES)}, doseq=True),
        )
        return context


# --- Adding to a plan, editing details, archiving (issue 19) ---------------------------------


def _plan_or_404(user, pk):
    try:
        return selectors.plan_list(user=user).get(pk=pk)
    except ODPlan.DoesNotExist as exc:
        raise Http404("No such plan.") from exc


def _get_or_404(queryset, pk, what):
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist as exc:
        raise Http404(f"No such {what}.") from exc


def _plan_crumbs(plan):
    return [
        (plan.organisation.get_absolute_url(), plan.organisation.name),
        (plan.get_absolute_url(), plan.title),
    ]


class DeliverableCreateView(VersionedCreateView):
    """Add a key deliverable or action to a theme of a plan (its organisation's staff)."""

    form_class = DeliverableCreateForm
    service = services.deliverable_edit
    submit_label = "Add the deliverable"

    def get_parent(self, request, pk):
        return _plan_or_404(request.user, pk)

    def new_instance(self, parent):
        # Asked of the plan's organisation: a theme of this plan, whichever the form chooses.
        return Deliverable(theme=Theme(plan=parent))

    def get_form_kwargs(self, request, parent):
        return {
            "owner_choices": people_of(parent.organisation),
            "theme_choices": parent.themes.order_by("number"),
        }

    def get_initial(self, request, parent):
        theme = parent.themes.filter(pk=_int_or_none(request.GET.get("theme"))).first()
        return {"theme": theme} if theme else {}

    def create(self, request, parent, form):
        values = form.changes()
        theme = values.pop("theme")
        deliverable = services.deliverable_create(
            theme=theme, acting_user=request.user, values=values, note=form.cleaned_data["note"], via="form"
        )
        self.success_message = f"Deliverable added to theme {theme.number}."
        return deliverable

    def get_context(self, request, parent):
        return {
            "title": "Add a key deliverable or action",
            "breadcrumbs": _plan_crumbs(parent),
            "intro": f"To {parent.title}. It goes at the end of the theme you choose.",
            "cancel_url": parent.get_absolute_url(),
        }


class DeliverableDetailsEditView(VersionedEditView):
    """Correct what the plan says of a deliverable: its title, owner, deadline, domains, methods,
    cost and comments (the status and narratives are on its update form)."""

    template_name = "core/record_form.html"
    form_class = DeliverableDetailsForm
    service = services.deliverable_details_edit
    form_only = True
    success_message = "Deliverable details saved."

    def get_object(self, request, pk):
        return _visible_deliverable_or_404(request.user, pk)

    def get_form_kwargs(self, obj):
        return {"owner_choices": people_of(obj.organisation)}

    def get_context(self, request, obj):
        return {
            "title": "Edit the details of this deliverable",
            "breadcrumbs": [*_plan_crumbs(obj.theme.plan), (obj.get_absolute_url(), str(obj))],
            "submit_label": "Save details",
            "cancel_url": obj.get_absolute_url(),
        }


class DeliverableArchiveView(ArchiveView):
    """Archive a deliverable: it leaves the plan, lists, dashboards and reports; its history stays."""

    service = services.deliverable_edit
    success_message = "Deliverable archived. It can be restored from the archived deliverables."

    def get_object(self, request, pk):
        return _visible_deliverable_or_404(request.user, pk)

    def get_context(self, request, obj):
        return {
            "title": "Archive this deliverable",
            "breadcrumbs": [*_plan_crumbs(obj.theme.plan), (obj.get_absolute_url(), str(obj))],
            "intro": (
                "An archived deliverable leaves the plan, the lists, the dashboards and the board "
                "report. Its history is kept, and it can be restored."
            ),
            "facts": [("Deliverable", obj.title), ("Theme", str(obj.theme))],
            "submit_label": "Archive the deliverable",
            "cancel_url": obj.get_absolute_url(),
        }

    def success_url(self, obj):
        return obj.theme.plan.get_absolute_url()


class DeliverableRestoreView(ArchiveView):
    """Put an archived deliverable back in its plan."""

    service = services.deliverable_edit
    archive = False
    success_message = "Deliverable restored to its plan."

    def get_object(self, request, pk):
        # Found among those the user may see; restoring needs edit rights (403 otherwise).
        found = selectors.archived_deliverables(user=request.user, visible=True)
        return _get_or_404(found, pk, "archived deliverable")

    def get_context(self, request, obj):
        return {
            "title": "Restore this deliverable",
            "breadcrumbs": [
                (reverse("plans:deliverable_list"), "Deliverables"),
                (reverse("plans:deliverable_archived"), "Archived deliverables"),
            ],
            "facts": [
                ("Deliverable", obj.title),
                ("Plan", f"{obj.theme.plan.title}, theme {obj.theme}"),
                ("Archived", f"{obj.archived_at:%d/%m/%Y %H:%M}"),
            ],
            "submit_label": "Restore the deliverable",
            "cancel_url": reverse("plans:deliverable_archived"),
        }


class ArchivedDeliverableListView(TemplateView):
    """The archived deliverables of the organisations the user may edit, each with a link to
    restore it."""

    template_name = "plans/deliverable_archived.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if not permissions.editable_organisations(user).exists():
            raise PermissionDenied(
                "Only staff of an organisation may see and restore its archived deliverables."
            )
        rows = selectors.archived_deliverables(user=user)
        page = Paginator(rows, self.paginate_by).get_page(self.request.GET.get("page"))
        context.update(page=page, deliverables=page.object_list)
        return context


class ThemeCreateView(VersionedCreateView):
    """Add a theme (or priority area) to a plan."""

    form_class = ThemeForm
    service = services.theme_edit
    submit_label = "Add the theme"
    success_message = "Theme added."

    def get_parent(self, request, pk):
        return _plan_or_404(request.user, pk)

    def parent_values(self, parent):
        return {"plan": parent}

    def get_initial(self, request, parent):
        return {"number": services.next_theme_number(parent)}

    def get_context(self, request, parent):
        return {
            "title": "Add a theme",
            "breadcrumbs": _plan_crumbs(parent),
            "cancel_url": parent.get_absolute_url(),
        }


class ThemeEditView(VersionedEditView):
    template_name = "core/record_form.html"
    form_class = ThemeForm
    service = services.theme_edit
    form_only = True
    success_message = "Theme saved."

    def get_object(self, request, pk):
        return _get_or_404(selectors.visible_themes(user=request.user), pk, "theme")

    def get_context(self, request, obj):
        return {
            "title": f"Edit theme {obj.number}",
            "breadcrumbs": _plan_crumbs(obj.plan),
            "submit_label": "Save the theme",
            "cancel_url": obj.get_absolute_url(),
        }


class ObjectiveCreateView(VersionedCreateView):
    """Add an objective at the end of a theme's list."""

    form_class = ObjectiveForm
    service = services.objective_edit
    submit_label = "Add the objective"
    success_message = "Objective added."

    def get_parent(self, request, pk):
        return _get_or_404(selectors.visible_themes(user=request.user), pk, "theme")

    def parent_values(self, parent):
        return {"theme": parent}

    def get_context(self, request, parent):
        return {
            "title": f"Add an objective to theme {parent.number}",
            "intro": str(parent),
            "breadcrumbs": _plan_crumbs(parent.plan),
            "cancel_url": parent.get_absolute_url(),
        }


class ObjectiveEditView(VersionedEditView):
    template_name = "core/record_form.html"
    form_class = ObjectiveForm
    service = services.objective_edit
    form_only = True
    success_message = "Objective saved."

    def get_object(self, request, pk):
        return _get_or_404(selectors.visible_objectives(user=request.user), pk, "objective")

    def get_context(self, request, obj):
        return {
            "title": f"Edit an objective of theme {obj.theme.number}",
            "intro": str(obj.theme),
            "breadcrumbs": _plan_crumbs(obj.theme.plan),
            "submit_label": "Save the objective",
            "cancel_url": obj.get_absolute_url(),
        }


def _assessment_context(organisation, title):
    levels = MaturityLevel.objects.all()
    return {
        "title": title,
        "breadcrumbs": [
            (organisation.get_absolute_url(), organisation.name),
            (reverse("plans:self_assessment", args=[organisation.slug]), "Self-assessment"),
        ],
        "intro": "Score the organisation against each authorisation domain in per cent. The maturity levels:",
        "facts": [
            (f"Level {lv.level}", f"{lv.lower_percent}-{lv.upper_percent}%: {lv.label}") for lv in levels
        ],
        "cancel_url": reverse("plans:self_assessment", args=[organisation.slug]),
    }


class SelfAssessmentCreateView(VersionedCreateView):
    """Record a new self-assessment of an organisation (it becomes the one its pages and board
    report show); the scores start from the latest assessment's."""

    form_class = SelfAssessmentForm
    service = services.self_assessment_edit
    submit_label = "Record the self-assessment"
    success_message = "Self-assessment recorded."

    def get_parent(self, request, slug):
        organisation = get_object_or_404(Organisation, slug=slug)
        if not permissions.can_view(request.user, organisation):
            # As the organisation's other pages answer (its self-assessment, its people).
            raise PermissionDenied("You do not have access to this organisation.")
        return organisation

    def parent_values(self, parent):
        return {"organisation": parent}

    def get_form_kwargs(self, request, parent):
        latest = SelfAssessment.objects.filter(organisation=parent).latest_first().first()
        scores = {s.domain_id: s.score_percent for s in latest.scores.all()} if latest else {}
        return {"domains": AuthorisationDomain.objects.all(), "scores": scores}

    def get_context(self, request, parent):
        return _assessment_context(parent, f"Record a self-assessment of {parent.name}")


class SelfAssessmentEditView(VersionedEditView):
    """Correct a recorded self-assessment; every change is kept in its history."""

    template_name = "core/record_form.html"
    form_class = SelfAssessmentForm
    service = services.self_assessment_edit
    form_only = True
    success_message = "Self-assessment saved."

    def get_object(self, request, pk):
        return _get_or_404(selectors.visible_self_assessments(user=request.user), pk, "self-assessment")

    def get_form_kwargs(self, obj):
        return {
            "domains": AuthorisationDomain.objects.all(),
            "scores": {s.domain_id: s.score_percent for s in obj.scores.all()},
        }

    def get_context(self, request, obj):
        context = _assessment_context(obj.organisation, f"Edit the self-assessment {obj.assessed_label}")
        context["submit_label"] = "Save the self-assessment"
        return context

    def success_url(self, obj):
        return reverse("plans:self_assessment", args=[obj.organisation.slug])


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
