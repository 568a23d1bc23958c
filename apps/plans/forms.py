from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model

from apps.core.forms import NoteField, PlainErrorsMixin, ServiceModelForm, person_label

from .models import AuthorisationDomain, Deliverable, Objective, SelfAssessment, Theme
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
        owner.empty_label = "No one yet"  # not Django's "---------"
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


# The words of a deliverable as the add and "edit details" forms offer them.
DELIVERABLE_LABELS = {
    "title": "Key deliverable or action",
    "subheading": "Sub-heading",
    "delivered_narrative": "Delivered",
    "in_progress_narrative": "In progress",
    "methods": "Methods",
    "source": "Lead or source",
    "cost_text": "Cost",
    "cost_amount": "Cost in pounds",
    "comments": "Comments",
    "domains": "Authorisation domains",
}
DELIVERABLE_HELP = {
    "subheading": "Optional: a heading that groups deliverables within the theme.",
    "delivered_narrative": "What has been achieved so far.",
    "in_progress_narrative": "What is under way, and what comes next.",
    "cost_text": "As you would write it, e.g. £5,000 a year, or Within existing resources.",
    "cost_amount": "Optional: the amount, for totals.",
    "domains": "The authorisation domains this deliverable serves.",
}
DELIVERABLE_WIDGETS = {
    "title": forms.Textarea(attrs={"rows": 2}),
    "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    "domains": forms.CheckboxSelectMultiple,
    "methods": forms.Textarea(attrs={"rows": 3}),
    "source": forms.Textarea(attrs={"rows": 2}),
    "delivered_narrative": forms.Textarea(attrs={"rows": 3}),
    "in_progress_narrative": forms.Textarea(attrs={"rows": 3}),
    "comments": forms.Textarea(attrs={"rows": 3}),
}


class _DeliverableFields(ServiceModelForm):
    def __init__(self, *args, owner_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.queryset = owner_choices if owner_choices is not None else get_user_model().objects.none()
        owner.label_from_instance = person_label  # type: ignore[method-assign]
        owner.empty_label = "No one yet"
        cast(forms.DateField, self.fields["deadline"]).input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        domains = cast(forms.ModelMultipleChoiceField, self.fields["domains"])
        domains.queryset = AuthorisationDomain.objects.all()


class DeliverableCreateForm(_DeliverableFields):
    """A new key deliverable or action of a plan's theme."""

    note = NoteField(help_text="Why it is added (for example, agreed at the Executive on 3 May).")

    class Meta:
        model = Deliverable
        fields = (
            "theme",
            "title",
            "subheading",
            "owner",
            "deadline",
            "status",
            "domains",
            "in_progress_narrative",
            "delivered_narrative",
            "methods",
            "source",
            "cost_text",
            "cost_amount",
            "comments",
            "note",
        )
        labels = DELIVERABLE_LABELS
        help_texts = DELIVERABLE_HELP
        # Each theme's whole title, one to a line: a phone's select cut them ("...ways of worki").
        widgets = {**DELIVERABLE_WIDGETS, "theme": forms.RadioSelect}

    def __init__(self, *args, theme_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        theme = cast(forms.ModelChoiceField, self.fields["theme"])
        theme.queryset = theme_choices if theme_choices is not None else Theme.objects.none()
        theme.empty_label = None


class DeliverableDetailsForm(_DeliverableFields):
    """What the plan says of a deliverable, corrected by its organisation's staff (the status and
    narratives are on the deliverable's update form)."""

    note = NoteField(required=False, help_text="What you corrected, and why.")

    class Meta:
        model = Deliverable
        fields = (
            "title",
            "subheading",
            "owner",
            "deadline",
            "domains",
            "methods",
            "source",
            "cost_text",
            "cost_amount",
            "comments",
            "note",
        )
        labels = DELIVERABLE_LABELS
        help_texts = DELIVERABLE_HELP
        widgets = DELIVERABLE_WIDGETS


class ThemeForm(ServiceModelForm):
    """A theme (or priority area) of a plan."""

    note = NoteField(required=False, help_text="Optional: why, kept in the history.")

    class Meta:
        model = Theme
        fields = ("number", "title", "description", "note")
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"number": "Themes are listed by their number, once each in a plan."}


class ObjectiveForm(ServiceModelForm):
    """A bulleted objective of a theme."""

    note = NoteField(required=False, help_text="Optional: why, kept in the history.")

    class Meta:
        model = Objective
        fields = ("text", "note")
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        labels = {"text": "Objective"}


class SelfAssessmentForm(ServiceModelForm):
    """A self-assessment against the six authorisation domains: when, the tool, the narrative,
    and a score per domain in per cent (which places it in a maturity level)."""

    note = NoteField(required=False, help_text="Optional: what changed and why, kept in the history.")

    class Meta:
        model = SelfAssessment
        fields = ("assessed_label", "assessed_on", "tool", "notes", "note")
        labels = {"assessed_label": "Assessment", "notes": "Narrative"}
        help_texts = {
            "assessed_label": "How the board will refer to it, e.g. 2014 or Spring 2014.",
            "assessed_on": "Optional: the day the assessment was made.",
            "tool": "Optional: the tool or framework used, e.g. the PWC diagnostic tool.",
            "notes": "What the scores say, and what the organisation will do about them.",
        }
        widgets = {
            "assessed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, domains, scores=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.DateField, self.fields["assessed_on"]).input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        self.domains = list(domains)
        for domain in self.domains:
            name = f"score_{domain.number}"
            self.fields[name] = forms.DecimalField(
                label=f"{domain.number}. {domain.name}: score (%)",
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
                help_text="0 to 100 per cent.",
            )
            if not self.is_bound and scores and domain.pk in scores:
                self.initial[name] = scores[domain.pk]
        self.order_fields(
            ["assessed_label", "assessed_on", "tool", *(f"score_{d.number}" for d in self.domains)]
        )

    def changes(self) -> dict[str, Any]:
        changes = super().changes()
        changes["scores"] = {domain: self.cleaned_data[f"score_{domain.number}"] for domain in self.domains}
        return changes
