from typing import Any, cast

from django import forms

from apps.core.bounds import NOTE_MAX_LENGTH
from apps.core.forms import NoteField, PlainErrorsMixin, ServiceModelForm
from apps.risks.models import LIKELIHOOD_CHOICES, SEVERITY_CHOICES

from .models import Assurance, Committee, Control, Gap, PrincipalRisk, RiskAppetite, StrategicObjective

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _dates(form: Any, *names: str) -> None:
    for name in names:
        cast(forms.DateField, form.fields[name]).input_formats = DATE_FORMATS


def _choices(form: Any, name: str, queryset: Any, empty_label: str | None = None) -> None:
    field = cast(forms.ModelChoiceField, form.fields[name])
    field.queryset = queryset
    if empty_label is not None:
        field.empty_label = empty_label


def _objective_label(obj: Any) -> str:
    return f"{obj.theme.number}. {obj.text}"


class StrategicObjectiveForm(ServiceModelForm):
    """An objective of the framework: one of the plan's, or the organisation's own words."""

    note = NoteField(required=False)

    class Meta:
        model = StrategicObjective
        fields = ("plan_objective", "plan_theme", "text", "executive_lead", "position", "note")
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "plan_objective": forms.RadioSelect,
            "plan_theme": forms.RadioSelect,
        }
        labels = {
            "text": "Or an objective of the organisation's own",
            "plan_objective": "Objective of the plan",
            "plan_theme": "Or a priority area or theme of the plan",
        }

    def __init__(self, *args, objective_choices=None, theme_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "plan_objective", objective_choices, "None")
        _choices(self, "plan_theme", theme_choices, "None")
        cast(Any, self.fields["plan_objective"]).label_from_instance = _objective_label


class PrincipalRiskForm(ServiceModelForm):
    """A principal risk: the objectives it threatens, its target score and date, category,
    tolerance and committee."""

    note = NoteField(required=False)
    target_severity = forms.TypedChoiceField(
        label="Target severity", choices=[("", "Choose a score"), *SEVERITY_CHOICES], coerce=int
    )
    target_likelihood = forms.TypedChoiceField(
        label="Target likelihood", choices=[("", "Choose a score"), *LIKELIHOOD_CHOICES], coerce=int
    )

    class Meta:
        model = PrincipalRisk
        fields = (
            "risk",
            "objectives",
            "target_severity",
            "target_likelihood",
            "target_date",
            "category",
            "tolerance",
            "committee",
            "note",
        )
        widgets = {
            "objectives": forms.CheckboxSelectMultiple,
            "risk": forms.RadioSelect,
            "target_date": DATE_WIDGET,
        }
        labels = {"objectives": "Strategic objectives it threatens", "risk": "Risk of the register"}

    def __init__(self, *args, risk_choices=None, objective_choices=None, committee_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["risk"]
        else:
            _choices(self, "risk", risk_choices)
            cast(Any, self.fields["risk"]).empty_label = None
        _choices(self, "objectives", objective_choices)
        _choices(self, "committee", committee_choices, "None")
        _dates(self, "target_date")
        self.use_plain_required_messages()

    def changes(self):
        return {name: self.cleaned_data[name] for name in self.fields if name not in ("note", "version")}


class ControlForm(ServiceModelForm):
    note = NoteField(required=False)

    class Meta:
        model = Control
        fields = ("description", "owner", "effectiveness", "note")
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "effectiveness": forms.RadioSelect}
        labels = {"description": "Control: what is in place"}


class AssuranceForm(ServiceModelForm):
    note = NoteField(required=False)

    class Meta:
        model = Assurance
        fields = ("description", "line", "level", "received_on", "committee", "note")
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "line": forms.RadioSelect,
            "level": forms.RadioSelect,
            "received_on": DATE_WIDGET,
        }
        labels = {"description": "Assurance: the report, audit or review", "received_on": "Date received"}

    def __init__(self, *args, committee_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "committee", committee_choices, "None")
        _dates(self, "received_on")


class GapForm(ServiceModelForm):
    note = NoteField(required=False)

    class Meta:
        model = Gap
        fields = ("kind", "description", "deliverables", "closed_on", "note")
        widgets = {
            "kind": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 3}),
            "deliverables": forms.CheckboxSelectMultiple,
            "closed_on": DATE_WIDGET,
        }
        labels = {"deliverables": "Actions of the plan closing it", "closed_on": "Closed on"}

    def __init__(self, *args, deliverable_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "deliverables", deliverable_choices)
        _dates(self, "closed_on")


class CommitteeForm(ServiceModelForm):
    note = NoteField(required=False)

    class Meta:
        model = Committee
        fields = ("name", "purpose", "note")
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}


class RiskAppetiteForm(ServiceModelForm):
    note = NoteField(help_text="When and where the board set this appetite.")

    class Meta:
        model = RiskAppetite
        fields = ("category", "level", "tolerance", "statement", "note")
        widgets = {"level": forms.RadioSelect, "statement": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["category"]

    def changes(self):
        return {name: self.cleaned_data[name] for name in self.fields if name not in ("note", "version")}


class CommitteePaperForm(PlainErrorsMixin, forms.Form):
    """Issue a paper to a committee's meeting: its date and title, the number of the committee's
    latest paper the user was shown (so a paper issued meanwhile is not superseded unseen), and
    for a correction what it corrects."""

    meeting_date = forms.DateField(
        label="Date of the meeting",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    title = forms.CharField(label="Title", max_length=300)
    latest = forms.IntegerField(
        label="Latest paper seen",
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={
            "required": "Open this page again: the form did not say which paper was the latest.",
            "invalid": "Open this page again: the form did not say which paper was the latest.",
            "min_value": "Open this page again: the form did not say which paper was the latest.",
        },
    )
    correction_note = forms.CharField(
        label="What this correction corrects",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only when a paper was issued for the same meeting already: printed on the correction.",
    )
