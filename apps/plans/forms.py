from typing import cast

from django import forms
from django.contrib.auth import get_user_model

from apps.core.forms import PlainErrorsMixin, person_label

from .models import Deliverable
from .services import NOTE_MAX_LENGTH


class DeliverableUpdateForm(PlainErrorsMixin, forms.ModelForm):
    """The staff update form: new status, progress note, narratives, owner, deadline. The
    version field carries the version the editor loaded, for the service's conflict check."""

    note = forms.CharField(
        label="Progress note",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you change the status: what happened, and what comes next.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Deliverable
        fields = ("status", "note", "delivered_narrative", "in_progress_narrative", "owner", "deadline")
        widgets = {
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "delivered_narrative": forms.Textarea(attrs={"rows": 4}),
            "in_progress_narrative": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"delivered_narrative": "Delivered", "in_progress_narrative": "In progress"}

    def __init__(self, *args, owner_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.queryset = owner_choices if owner_choices is not None else get_user_model().objects.none()
        owner.label_from_instance = person_label  # type: ignore[method-assign]
        cast(forms.DateField, self.fields["deadline"]).input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version

    def changes(self):
        """The model fields as submitted (the service works out which of them changed)."""
        return {field: self.cleaned_data[field] for field in self.Meta.fields if field != "note"}

    def _post_clean(self):
        # Validation of the model instance belongs to the service, which re-reads the row
        # under a lock; here only the fields are checked.
        pass


class DeliverableStatusForm(PlainErrorsMixin, forms.Form):
    """The in-place status change on the deliverables list."""

    status = forms.ChoiceField(label="New status", choices=Deliverable.Status.choices)
    note = forms.CharField(label="Progress note", required=False, max_length=NOTE_MAX_LENGTH)
    version = forms.IntegerField(min_value=1)


class PlanImportForm(PlainErrorsMixin, forms.Form):
    """The upload of a plan spreadsheet into an existing plan."""

    file = forms.FileField(
        label="Spreadsheet (Excel .xlsx or CSV)",
        help_text="Under 10 MB. The first sheet is read; its first row holds the template's column headers.",
    )

    def clean_file(self):
        from .imports import MAX_FILE_BYTES

        upload = self.cleaned_data["file"]
        if upload.size >= MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; an import takes files under 10 MB. "
                "Remove other sheets, images or unused rows, or save it as CSV."
            )
        return upload


class OrganisationKindChoiceField(forms.ModelChoiceField):
    """An organisation offered with its kind: "NHS Dorset CCG (Clinical commissioning group)"."""

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_kind_display()})"


class NewPlanImportForm(PlanImportForm):
    """The upload of a plan spreadsheet as a new plan of an organisation the user may edit: the
    user's own organisation is chosen to begin with (``own``); an administrator, who belongs to
    none, chooses."""

    organisation: forms.ModelChoiceField = OrganisationKindChoiceField(
        queryset=None, empty_label="Choose the organisation whose plan this is"
    )
    title = forms.CharField(label="Plan title", max_length=300)
    period_label = forms.CharField(
        label="Period", max_length=100, help_text="As the plan states it, e.g. 2024-2027."
    )
    field_order = ("organisation", "title", "period_label", "file")

    def __init__(self, *args, organisations, own=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["organisation"])
        field.queryset = organisations
        if own is not None:
            field.empty_label = None
            if not self.is_bound:
                self.initial.setdefault("organisation", own.pk)
        self.order_fields(self.field_order)


class PlanImportConfirmForm(PlainErrorsMixin, forms.Form):
    token = forms.CharField(max_length=100, widget=forms.HiddenInput)
