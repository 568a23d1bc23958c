"""The one shape of an edit page: a record with its history, and for those who may change it a
form whose save goes through the record's service (a ``VersionedEdit``).

GET shows the form; a valid POST saves and redirects; a form or service error answers 400 with
the messages beside the fields; a save based on an old version answers 409 with the current
values in the form and, beside them, what the user typed, so nothing they wrote is lost."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from apps.core import receipts
from apps.core.edits import VersionedEdit
from apps.core.forms import ArchiveForm, add_service_errors
from apps.core.history.audit import StaleVersionError, display


def name_in(message: str, record: Any) -> str:
    """A receipt's words with the record named after their first sentence: "Risk archived (R2
    Establishing ...). It can be restored from the archived risks.", never the name tacked on
    after the last sentence."""
    first, _, rest = message.partition(". ")
    return f"{first.rstrip('.')} ({record}).{' ' + rest if rest else ''}"


class VersionedEditView(View):
    template_name: str
    form_class: type
    service: VersionedEdit
    form_only = False  # True: the page is only the form, so those who may not edit get 403
    success_message = "Saved."
    conflict_message = (
        "Someone else saved this record while you were editing it. Your changes were not saved: "
        "the form shows the current values, and what you typed is shown beside it."
    )

    # --- hooks -----------------------------------------------------------------------------
    def get_object(self, request: HttpRequest, pk: int) -> Any:
        """The record, if the user may see it (raise Http404 otherwise)."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define get_object().")

    def current_object(self, request: HttpRequest, obj: Any, pk: int) -> Any:
        """The record as it stands now, after another user's save (for the 409 page)."""
        return self.get_object(request, pk)

    def get_form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {}

    def get_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return {}

    def new_form(self, obj: Any, data: Any = None) -> Any:
        return self.form_class(data, instance=obj, **self.get_form_kwargs(obj))

    def save(self, request: HttpRequest, obj: Any, form: Any) -> Any:
        return self.service(
            pk=obj.pk,
            acting_user=request.user,
            expected_version=form.cleaned_data["version"],
            changes=form.changes(),
            note=form.cleaned_data.get("note", ""),
            via="form",
        )

    def success_url(self, obj):
        return obj.get_absolute_url()

    # --- the shape -------------------------------------------------------------------------
    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        obj = self.get_object(request, **kwargs)
        may_edit = self.service.may_edit(request.user, obj)
        if self.form_only and not may_edit:
            raise PermissionDenied("Only staff of the owning organisation may change this.")
        return self.render(request, obj, self.new_form(obj) if may_edit else None)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        obj = self.get_object(request, **kwargs)
        if not self.service.may_edit(request.user, obj):
            raise PermissionDenied("Only staff of the owning organisation may change this.")
        form = self.new_form(obj, request.POST)
        if not form.is_valid():
            return self.render(request, obj, form, status=400)
        try:
            saved = self.save(request, obj, form)
        except StaleVersionError:
            current = self.current_object(request, obj, **kwargs)
            messages.error(request, self.conflict_message)
            return self.render(
                request, current, self.new_form(current), status=409, submitted=self.submitted(form)
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render(request, obj, form, status=400)
        receipts.saved(request, name_in(self.success_message, saved))
        return redirect(self.success_url(saved))

    @staticmethod
    def submitted(form):
        """What the user typed, field by field as labelled on the form (choices by their label)."""
        rows = []
        for name, value in form.cleaned_data.items():
            field = form.fields[name]
            if field.widget.is_hidden or value in (None, ""):
                continue
            shown = value
            if not hasattr(value, "pk") and hasattr(field, "choices"):
                shown = dict(field.choices).get(value, value)
            rows.append((field.label or name.replace("_", " ").capitalize(), display(shown)))
        return rows

    def render(
        self, request: HttpRequest, obj: Any, form: Any, status: int = 200, submitted: Any = None
    ) -> HttpResponse:
        context = {"object": obj, "form": form, "conflict": status == 409, "submitted": submitted or []}
        context.update(self.get_context(request, obj))
        return render(request, self.template_name, context, status=status)


class VersionedCreateView(View):
    """The one shape of an "add" page: for those who may add to the parent (an organisation, a
    plan, a theme), a form whose save goes through the record's service
    (``VersionedEdit.create``), asked about the unsaved record so the same permission rule
    decides. GET shows the form (403 to anyone else), a valid POST saves and redirects, a form
    or service error answers 400 with the messages beside the fields and nothing saved."""

    template_name = "core/record_form.html"
    form_class: type
    service: VersionedEdit
    success_message = "Added."
    submit_label = "Save"
    refusal = "Only staff of the owning organisation may add to it."

    # --- hooks -----------------------------------------------------------------------------
    def get_parent(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """The record the new one belongs to, if the user may see it (raise Http404 otherwise)."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define get_parent().")

    def parent_values(self, parent: Any) -> dict[str, Any]:
        """The new record's link to its parent, e.g. {"organisation": parent}."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define parent_values().")

    def get_form_kwargs(self, request: HttpRequest, parent: Any) -> dict[str, Any]:
        return {}

    def get_initial(self, request: HttpRequest, parent: Any) -> dict[str, Any]:
        return {}

    def get_context(self, request: HttpRequest, parent: Any) -> dict[str, Any]:
        return {}

    def create(self, request: HttpRequest, parent: Any, form: Any) -> Any:
        return self.service.create(
            acting_user=request.user,
            values={**form.changes(), **self.parent_values(parent)},
            note=form.cleaned_data.get("note", ""),
            via="form",
        )

    def success_url(self, obj: Any) -> str:
        return obj.get_absolute_url()

    # --- the shape -------------------------------------------------------------------------
    def new_instance(self, parent: Any) -> Any:
        return self.service.model(**self.parent_values(parent))

    def authorise(self, request: HttpRequest, parent: Any) -> Any:
        instance = self.new_instance(parent)
        if not self.service.may_edit(request.user, instance):
            raise PermissionDenied(self.refusal)
        return instance

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        parent = self.get_parent(request, **kwargs)
        instance = self.authorise(request, parent)
        form = self.form_class(
            instance=instance,
            initial=self.get_initial(request, parent),
            **self.get_form_kwargs(request, parent),
        )
        return self.render(request, parent, form)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        parent = self.get_parent(request, **kwargs)
        instance = self.authorise(request, parent)
        form = self.form_class(request.POST, instance=instance, **self.get_form_kwargs(request, parent))
        if not form.is_valid():
            return self.render(request, parent, form, status=400)
        try:
            saved = self.create(request, parent, form)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render(request, parent, form, status=400)
        messages.success(request, self.success_message)
        return redirect(self.success_url(saved))

    def render(self, request: HttpRequest, parent: Any, form: Any, status: int = 200) -> HttpResponse:
        context = {"parent": parent, "form": form, "submit_label": self.submit_label}
        context.update(self.get_context(request, parent))
        return render(request, self.template_name, context, status=status)


class ArchiveView(VersionedEditView):
    """Archive (``archive = True``) or restore a record through its service's ``set_archived``:
    a page that asks why, with the version the user saw (409 if someone saved since)."""

    template_name = "core/record_form.html"
    form_class = ArchiveForm
    form_only = True
    archive = True

    def save(self, request: HttpRequest, obj: Any, form: Any) -> Any:
        return self.service.set_archived(
            pk=obj.pk,
            acting_user=request.user,
            expected_version=form.cleaned_data["version"],
            archived=self.archive,
            note=form.cleaned_data["note"],
            via="form",
        )
