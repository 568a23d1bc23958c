"""The edit path in the Django admin: a change form of a versioned record goes through its
service (``VersionedEditAdmin``, ``apps/core/edits.py``), many-to-many values included, and so
does its add form where the service adds records (``adds_through_service``); a record that is archived, never
deleted, is archived and restored through it (``ArchivingAdmin``). The admin site itself is
``apps/organisations/admin_site.py``; read-only admin pages are ``apps/core/read_only_admin.py``."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.bounds import NOTE_MAX_LENGTH
from apps.core.edits import Edit, VersionedEdit
from apps.core.forms import PlainErrorsMixin
from apps.core.history.audit import StaleVersionError


class VersionedEditAdminForm(PlainErrorsMixin, forms.ModelForm):
    """The admin change form of a record with a versioned edit path: it carries the version the
    admin opened and a note, and validates the edit through the service under a row lock (the
    admin's save runs in one transaction, so the lock holds until the service commits)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    edit_note = forms.CharField(
        label="Note",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why you made this change; it is recorded in the history.",
    )

    # Set by VersionedEditAdmin.get_form.
    service: VersionedEdit
    acting_user: Any = None
    adds_through_service = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["expected_version"] = self.instance.version
        self.prepared_edit: Edit | None = None

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # BaseModelForm._post_clean is not in django-stubs
        if self.errors:
            return
        if not self.instance.pk:
            if self.adds_through_service:
                self._prepare_create()
            return
        # Many-to-many values (a deliverable's domains) go through the service too, which writes
        # them in the same audit context and into the history row's note.
        owned = (*self.service.allowed_fields(self.acting_user), *self.service.related_fields)
        names = [name for name in self.changed_data if name in owned and name in self.cleaned_data]
        note = self.cleaned_data.get("edit_note", "")
        if not names and not note:
            return
        try:
            self.prepared_edit = self.service.prepare(
                pk=self.instance.pk,
                acting_user=self.acting_user,
                expected_version=self.cleaned_data.get("expected_version"),
                changes={name: self.cleaned_data[name] for name in names},
                note=note,
                via="admin",
            )
        except StaleVersionError:
            self.add_error(
                None,
                "Someone else changed this record after you opened it, so your changes were not "
                "saved. Open it again to see the current values, then make your change.",
            )
        except ValidationError as error:
            self._add_service_errors(error)

    def _prepare_create(self) -> None:
        """A new record, checked by the service's ``create`` path (the service places it, e.g.
        at the end of its theme, and writes its first history row when it is saved)."""
        owned = (*self.service.create_fields, *self.service.related_fields)
        try:
            self.prepared_edit = self.service.prepare_create(
                acting_user=self.acting_user,
                values={name: self.cleaned_data[name] for name in self.fields if name in owned},
                note=self.cleaned_data.get("edit_note", ""),
                via="admin",
            )
        except ValidationError as error:
            self._add_service_errors(error)

    def _add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                target = "edit_note" if name == "note" else name
                self.add_error(target if target in self.fields else None, errors)
        else:
            self.add_error(None, error)


class VersionedEditAdmin(admin.ModelAdmin):
    """Admin edits of a record go through its service (``edit_service``, a VersionedEdit):
    version checked, permission checked, the service's rule, its history row and the audit
    context, exactly as a staff member's edit. Fields the service does not own are read-only."""

    edit_service: VersionedEdit
    form = VersionedEditAdminForm
    # Whether the add form makes the record through the service's ``create`` (its fields, a note,
    # its first history row); else the add form is the admin's own (a record whose service adds
    # nothing without fields the add form does not have: a cover sheet, a self-assessment's scores).
    adds_through_service = False

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        editable = {*self.edit_service.allowed_fields(request.user), *self.edit_service.related_fields}
        fields = [*self.model._meta.fields, *self.model._meta.many_to_many]
        names = [f.name for f in fields if f.editable and not f.primary_key]
        return readonly + [n for n in names if n not in editable and n not in readonly]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        attrs = {
            "service": self.edit_service,
            "acting_user": request.user,
            "adds_through_service": self.adds_through_service,
        }
        return type(form.__name__, (form,), attrs)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None:
            return fields
        if not self.adds_through_service:
            return [f for f in fields if f not in ("expected_version", "edit_note")]
        service = self.edit_service
        owned = {*service.create_fields, *service.related_fields, "edit_note"}
        readonly = set(self.get_readonly_fields(request, obj))
        return [f for f in fields if f in owned or f in readonly]

    def save_model(self, request, obj, form, change):
        if not change and not self.adds_through_service:
            return super().save_model(request, obj, form, change)
        if form.prepared_edit is not None:
            saved = self.edit_service.commit(form.prepared_edit)
            obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request, form, formsets, change):
        if not change and not self.adds_through_service:
            return super().save_related(request, form, formsets, change)
        # The many-to-many values were written by the service with the row (save_model), in its
        # audit context; the form's own save_m2m would write them again outside it. The
        # inlines under a versioned record are read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class ArchivingAdmin(VersionedEditAdmin):
    """A versioned record that is archived, never deleted: delete is not offered (singly or in
    bulk); the actions archive and restore through the record's service, so each leaves its
    history row, its audit event and a raised version, as any other edit does."""

    archive_note = "Archived in the admin."
    restore_note = "Restored from the archive in the admin."

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Archive selected (hidden from lists, dashboards and reports; history kept)")
    def archive_selected(self, request, queryset):
        self._set_archived(request, queryset.filter(archived_at__isnull=True), True, "archived")

    @admin.action(description="Restore selected from the archive")
    def restore_selected(self, request, queryset):
        self._set_archived(request, queryset.filter(archived_at__isnull=False), False, "restored")

    def _set_archived(self, request, queryset, archive, done_label):
        note = self.archive_note if archive else self.restore_note
        done = 0
        for obj in queryset:
            try:
                self.edit_service.set_archived(
                    pk=obj.pk,
                    acting_user=request.user,
                    expected_version=obj.version,
                    archived=archive,
                    note=note,
                    via="admin",
                )
                done += 1
            except (ValidationError, PermissionDenied, StaleVersionError) as exc:
                self.message_user(request, f"{obj}: {exc}", messages.WARNING)
        self.message_user(request, f"{done} {done_label}.")
