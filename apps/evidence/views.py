from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from apps.assurance.models import Assurance, Control
from apps.core import receipts
from apps.core.edit_views import ArchiveView, VersionedCreateView, VersionedEditView
from apps.core.forms import add_service_errors
from apps.core.views import FilteredTableView
from apps.organisations import permissions
from apps.organisations.models import Organisation
from apps.plans.models import Deliverable, SelfAssessmentScore
from apps.risks.models import Risk

from . import selectors, services
from .filters import EvidenceFilterSet
from .forms import EvidenceCreateForm, EvidenceDetailsForm, EvidenceLinkForm, EvidenceRevisionForm
from .models import LINK_FIELDS, EvidenceItem, EvidenceLink, EvidenceRevision, organisation_of
from .tables import EvidenceTable


def _organisation_or_403(request: HttpRequest, slug: str) -> Organisation:
    organisation = get_object_or_404(Organisation, slug=slug)
    if not permissions.can_view(request.user, organisation):
        raise PermissionDenied("You do not have access to this organisation.")
    return organisation


def _target_rows(field: str, user: Any) -> Any:
    """The records of kind ``field`` the user may read, with what their pages name."""
    if field == "deliverable":
        return Deliverable.objects.visible_to(user).select_related("theme__plan__organisation")
    if field == "risk":
        return Risk.objects.visible_to(user).select_related("organisation")
    if field == "control":
        return Control.objects.filter(
            permissions.visible_q(user, "principal_risk__risk__organisation"),
            principal_risk__risk__archived_at__isnull=True,
        ).select_related("principal_risk__risk__organisation")
    if field == "assurance":
        return Assurance.objects.filter(
            permissions.visible_q(user, "control__principal_risk__risk__organisation"),
            control__principal_risk__risk__archived_at__isnull=True,
        ).select_related("control__principal_risk__risk__organisation")
    return SelfAssessmentScore.objects.filter(
        permissions.visible_q(user, "assessment__organisation")
    ).select_related("assessment__organisation", "domain")


class Target:
    """The record evidence is added to or linked from (``?deliverable=12``, ``?risk=3``,
    ``?assessment_score=40``, ``?control=5``, ``?assurance=8``), found among those the user may
    read (404 otherwise)."""

    def __init__(self, field: str, obj: Any) -> None:
        self.field, self.obj = field, obj

    @classmethod
    def from_query(cls, request: HttpRequest) -> "Target | None":
        given = [name for name in LINK_FIELDS if request.GET.get(name)]
        if not given:
            return None
        field = given[0]
        try:
            pk = int(request.GET[field])
        except ValueError as error:
            raise Http404("No such record.") from error
        rows = _target_rows(field, request.user)
        try:
            return cls(field, rows.get(pk=pk))
        except rows.model.DoesNotExist as error:
            raise Http404("No such record.") from error

    @property
    def organisation(self) -> Organisation:
        return organisation_of(self.field, self.obj)

    @property
    def url(self) -> str:
        if self.field == "assessment_score":
            return (
                reverse("plans:self_assessment", args=[self.organisation.slug])
                + f"#evidence-assessment-score-{self.obj.pk}"
            )
        return self.obj.get_absolute_url()

    @property
    def label(self) -> str:
        if self.field == "deliverable":
            return f"the deliverable “{self.obj}”"
        if self.field == "risk":
            return f"risk {self.obj.reference}".strip()
        if self.field == "control":
            return f"the key control “{self.obj}”"
        if self.field == "assurance":
            return f"the assurance “{self.obj}”"
        return f"the self-assessment of {self.obj.domain}"

    @property
    def query(self) -> str:
        return f"?{self.field}={self.obj.pk}"


class EvidenceListView(FilteredTableView):
    """The evidence library: of one organisation and beneath it (``/organisations/<slug>/evidence/``),
    or of every organisation the user reads (``/evidence/``, where the dashboard's figures link)."""

    table_class = EvidenceTable
    filterset_class = EvidenceFilterSet
    template_name = "evidence/evidence_list.html"
    export_name = "evidence"

    def get(self, request, *args, **kwargs):
        slug = kwargs.get("slug")
        self.organisation = _organisation_or_403(request, slug) if slug else None
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.evidence_list(user=self.request.user, organisation=self.organisation)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if self.organisation is not None:
            targets = [self.organisation] if permissions.can_edit(user, self.organisation) else []
        else:
            targets = list(permissions.home_organisations(user))
        context.update(organisation=self.organisation, add_targets=targets)
        return context


class EvidenceCreateView(VersionedCreateView):
    """Add evidence to an organisation (its staff): a file or a link, and, when reached from a
    record's page, linked to that record at once."""

    template_name = "core/record_form.html"
    form_class = EvidenceCreateForm
    service = services.evidence_edit
    submit_label = "Add the evidence"

    def get_parent(self, request, slug):
        self.target = Target.from_query(request)
        organisation = _organisation_or_403(request, slug)
        if self.target is not None and self.target.organisation.pk != organisation.pk:
            raise Http404("That record is not this organisation's.")
        return organisation

    def parent_values(self, parent):
        return {"organisation": parent}

    def get_form_kwargs(self, request, parent):
        return {"files": request.FILES} if request.method == "POST" else {}

    def get_initial(self, request, parent):
        return {"kind": EvidenceItem.Kind.FILE}

    def get_context(self, request, parent):
        target = self.target
        back = target.url if target else reverse("evidence:library", args=[parent.slug])
        return {
            "title": f"Add evidence for {target.label}" if target else f"Add evidence to {parent.name}",
            "breadcrumbs": [
                (parent.get_absolute_url(), parent.name),
                (reverse("evidence:library", args=[parent.slug]), "Evidence"),
            ],
            "intro": (
                "A file (PDF, Word, Excel, PowerPoint, CSV, text, PNG or JPEG) is kept with its "
                "fingerprint, so anyone can later check it is the one that was shown; a link points "
                "to where the document is kept (SharePoint, say)."
            ),
            "cancel_url": back,
        }

    def create(self, request, parent, form):
        target = self.target
        item = services.evidence_create(
            organisation=parent,
            acting_user=request.user,
            values=form.changes(),
            file=form.cleaned_data.get("file"),
            note=form.cleaned_data["note"],
            link_to={target.field: target.obj} if target else None,
            via="form",
        )
        self.success_message = f"Evidence added: {item.title}."
        return item

    def success_url(self, obj):
        return self.target.url if self.target else obj.get_absolute_url()


def _item_or_404(request, pk, archived=True):
    try:
        return selectors.evidence_detail(user=request.user, item_id=pk, archived=archived)
    except EvidenceItem.DoesNotExist as error:
        raise Http404("No such evidence.") from error


class EvidenceDetailView(TemplateView):
    """One piece of evidence: what it is, what it supports, every file it has had (each
    downloadable, with its fingerprint) and its history."""

    template_name = "evidence/evidence_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = _item_or_404(self.request, kwargs["pk"])
        context.update(
            item=item,
            may_edit=services.evidence_edit.may_edit(self.request.user, item),
            links=selectors.item_links(item),
            revisions=selectors.item_revisions(item),
            events=selectors.item_history(item),
        )
        return context


class EvidenceEditView(VersionedEditView):
    template_name = "core/record_form.html"
    form_class = EvidenceDetailsForm
    service = services.evidence_edit
    form_only = True
    success_message = "Evidence details saved."

    def get_object(self, request, pk):
        return _item_or_404(request, pk, archived=False)

    def get_context(self, request, obj):
        return {
            "title": f"Edit the details of “{obj.title}”",
            "breadcrumbs": [
                (reverse("evidence:library", args=[obj.organisation.slug]), "Evidence"),
                (obj.get_absolute_url(), obj.title),
            ],
            "submit_label": "Save details",
            "cancel_url": obj.get_absolute_url(),
        }


class RevisionCreateView(VersionedEditView):
    """A new file for a piece of evidence: its next revision; the earlier ones stay."""

    template_name = "core/record_form.html"
    form_class = EvidenceRevisionForm
    service = services.evidence_edit
    form_only = True
    success_message = "New file kept. The earlier ones stay, with their fingerprints."

    def get_object(self, request, pk):
        item = _item_or_404(request, pk, archived=False)
        if item.kind != EvidenceItem.Kind.FILE:
            raise Http404("A link keeps no files.")
        return item

    def new_form(self, obj, data=None):
        files = self.request.FILES if data is not None else None
        return self.form_class(data, files, instance=obj)

    def save(self, request, obj, form):
        return services.evidence_add_revision(
            item_id=obj.pk,
            acting_user=request.user,
            expected_version=form.cleaned_data["version"],
            file=form.cleaned_data["file"],
            note=form.cleaned_data["note"],
            via="form",
        )

    def get_context(self, request, obj):
        return {
            "title": f"Upload a new file for “{obj.title}”",
            "breadcrumbs": [
                (reverse("evidence:library", args=[obj.organisation.slug]), "Evidence"),
                (obj.get_absolute_url(), obj.title),
            ],
            "intro": "The new file becomes the current one; every earlier file stays downloadable.",
            "submit_label": "Upload the new file",
            "cancel_url": obj.get_absolute_url(),
        }


class EvidenceArchiveView(ArchiveView):
    service = services.evidence_edit
    archive = True
    success_message = "Evidence archived. It is kept, with its files, and can be restored."

    def get_object(self, request, pk):
        return _item_or_404(request, pk, archived=not self.archive)

    def get_context(self, request, obj):
        verb = "Archive" if self.archive else "Restore"
        return {
            "title": f"{verb} “{obj.title}”",
            "breadcrumbs": [
                (reverse("evidence:library", args=[obj.organisation.slug]), "Evidence"),
                (obj.get_absolute_url(), obj.title),
            ],
            "intro": (
                "Archived evidence leaves the library and the pages of the records it supports; "
                "its files and history are kept, and it can be restored."
                if self.archive
                else "The evidence returns to the library and to the records it supports."
            ),
            "submit_label": f"{verb} the evidence",
            "cancel_url": obj.get_absolute_url(),
        }


class EvidenceRestoreView(EvidenceArchiveView):
    archive = False
    success_message = "Evidence restored."

    def get_object(self, request, pk):
        item = _item_or_404(request, pk)
        if item.archived_at is None:
            raise Http404("This evidence is not archived.")
        return item


class EvidenceLinkView(View):
    """Link existing evidence of the record's organisation to a record (``?deliverable=12``)."""

    template_name = "core/record_form.html"

    def setup_target(self, request):
        target = Target.from_query(request)
        if target is None:
            raise Http404("Choose the record to link evidence to.")
        if not permissions.can_edit(request.user, target.organisation):
            raise PermissionDenied("Only staff of the owning organisation may link evidence to this.")
        items = selectors.linkable_items(
            organisation=target.organisation, exclude_linked={target.field: target.obj}
        ).order_by("-speaks_for", "title")
        return target, items

    def get(self, request):
        target, items = self.setup_target(request)
        return self.render(request, target, EvidenceLinkForm(items=items))

    def post(self, request):
        target, items = self.setup_target(request)
        form = EvidenceLinkForm(request.POST, items=items)
        if not form.is_valid():
            return self.render(request, target, form, status=400)
        try:
            services.evidence_link(
                item=form.cleaned_data["item"],
                acting_user=request.user,
                target={target.field: target.obj},
                note=form.cleaned_data["note"],
                via="form",
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render(request, target, form, status=400)
        receipts.saved(request, f"Evidence linked: {form.cleaned_data['item'].title}.")
        return redirect(target.url)

    def render(self, request, target, form, status=200):
        organisation = target.organisation
        context = {
            "title": f"Link evidence to {target.label}",
            "breadcrumbs": [(target.url, str(target.obj))],
            "form": form,
            "submit_label": "Link the evidence",
            "cancel_url": target.url,
            "intro": (
                f"Choose evidence {organisation.name} keeps already. To add a new file or link, "
                "use “Add evidence” on the record's page."
            ),
        }
        if not form.fields["item"].queryset.exists():
            context["intro"] = (
                f"{organisation.name} has no other evidence to link yet: add it from the record's page."
            )
        return render(request, self.template_name, context, status=status)


class EvidenceUnlinkView(ArchiveView):
    """Stop an item supporting a record (the link is kept in the history)."""

    service = services.evidence_link_edit
    success_message = "The evidence no longer supports that record."

    def get_object(self, request, pk):
        try:
            return (
                EvidenceLink.objects.filter(removed_at__isnull=True)
                .filter(permissions.visible_q(request.user, "item__organisation"))
                .select_related("item__organisation")
                .get(pk=pk)
            )
        except EvidenceLink.DoesNotExist as error:
            raise Http404("No such link.") from error

    def get_context(self, request, obj):
        return {
            "title": "Remove the link",
            "breadcrumbs": [(obj.item.get_absolute_url(), obj.item.title)],
            "facts": [("Evidence", obj.item.title), ("Supports", f"{obj.target_label}: {obj.target}")],
            "intro": "The evidence and the record both stay; only the link between them is removed.",
            "submit_label": "Remove the link",
            "cancel_url": obj.item.get_absolute_url(),
        }

    def success_url(self, obj):
        return obj.item.get_absolute_url()


def downloadable_revision(user: Any, pk: Any) -> EvidenceRevision:
    """A file of a piece of evidence, if ``user`` may read its organisation (archived items'
    files too, as their page lists them); Http404 otherwise. The page's download and the API's
    ask this one rule."""
    try:
        revision = get_object_or_404(EvidenceRevision.objects.select_related("item__organisation"), pk=pk)
    except (TypeError, ValueError) as error:  # not an id (the API's addresses take any text)
        raise Http404("No such file.") from error
    if not permissions.can_view(user, revision.item.organisation):
        raise Http404("No such file.")
    return revision


def revision_file_response(revision: EvidenceRevision) -> FileResponse:
    """The revision's file as it was kept: always an attachment, with its stored type and
    ``nosniff``, so no browser renders it as a page. FileNotFoundError if the storage lost it."""
    stream = default_storage.open(str(revision.file.name), "rb")
    response = FileResponse(
        stream, as_attachment=True, filename=revision.original_name, content_type=revision.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def download(request: HttpRequest, pk: int) -> FileResponse:
    """A file of a piece of evidence, to whoever may read its organisation."""
    revision = downloadable_revision(request.user, pk)
    try:
        return revision_file_response(revision)
    except FileNotFoundError as error:
        messages.error(request, "This file is missing from the file storage. Tell your administrator.")
        raise Http404("The file is missing from the storage.") from error
