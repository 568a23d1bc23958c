from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model

from apps.core.bounds import NOTE_MAX_LENGTH
from apps.core.forms import NoteField, PlainErrorsMixin, ServiceModelForm, person_label
from apps.plans.models import AuthorisationDomain, ODPlan

from .models import SCORE_FIELDS, Risk, score_choices

# The register's own words of a risk, as the add and "edit details" forms offer them.
DETAIL_WIDGETS: dict[str, Any] = {
    "description": forms.Textarea(attrs={"rows": 3}),
    "domains": forms.CheckboxSelectMultiple,
    # A plan's whole title, one to a line: a phone's select cut it ("...Phase 2.").
    "plan": forms.RadioSelect,
}
DETAIL_LABELS = {"description": "Risk", "reference": "Reference", "domains": "Authorisation domains"}
DETAIL_HELP = {
    "description": "What could happen, and what it would stop.",
    "reference": "The risk's number or code in the register, e.g. R7.",
    "category": "e.g. Organisational readiness, Finance, Quality.",
    "plan": "The OD plan whose delivery it threatens, if any.",
    "domains": "The authorisation domains it bears on.",
}


class RiskReviewForm(PlainErrorsMixin, forms.ModelForm):
    """A review: new scores, mitigation, owner, next review date, status and a note."""

    required_messages = {
        "note": "Enter a review note saying what was reviewed, and why the scores stand where they do."
    }

    note = forms.CharField(
        label="Review note",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was reviewed, and why the scores stand where they do.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    # Each rating and band under its pair of scores, as they are chosen (with form_extra
    # "risks/partials/_live_ratings.html" and the view's rating_table).
    after_field = {
        "likelihood": "risks/partials/_live_rating.html",
        "residual_likelihood": "risks/partials/_live_rating.html",
    }

    class Meta:
        model = Risk
        fields = (
            "severity",
            "likelihood",
            "residual_severity",
            "residual_likelihood",
            "mitigation",
            "owner",
            "next_review_on",
            "status",
            "note",
        )
        widgets = {
            "next_review_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "mitigation": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, owner_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SCORE_FIELDS:
            choices = score_choices(name)
            self.fields[name] = forms.TypedChoiceField(
                label=self.fields[name].label,
                choices=choices,
                coerce=int,
                help_text=f"From {choices[0][1]} to {choices[-1][1]}.",
            )
        self.use_plain_required_messages()
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.queryset = owner_choices if owner_choices is not None else get_user_model().objects.none()
        owner.label_from_instance = person_label  # type: ignore[method-assign]
        owner.empty_label = "No one yet"  # not Django's "---------"
        cast(forms.DateField, self.fields["next_review_on"]).input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version

    def changes(self):
        return {field: self.cleaned_data[field] for field in self.Meta.fields if field != "note"}

    def _post_clean(self):
        # The service validates the model under a row lock.
        pass


class RiskCreateForm(RiskReviewForm):
    """A new risk on an organisation's register: what the register shows, the scores before and
    after mitigation, the owner, the next review and a note (why it is added). It opens."""

    note = NoteField(help_text="Why this risk is added: where it was raised, and by whom.")
    required_messages: dict[str, str] = {}  # the note is not a review's: NoteField's own sentence

    class Meta(RiskReviewForm.Meta):
        fields: tuple[str, ...] = (  # type: ignore[assignment]
            "reference",
            "description",
            "category",
            "plan",
            "domains",
            "severity",
            "likelihood",
            "mitigation",
            "residual_severity",
            "residual_likelihood",
            "owner",
            "next_review_on",
            "note",
        )
        widgets = {**RiskReviewForm.Meta.widgets, **DETAIL_WIDGETS}
        labels = DETAIL_LABELS
        help_texts = DETAIL_HELP

    def __init__(self, *args, plan_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        for name in SCORE_FIELDS:
            field = cast(forms.TypedChoiceField, self.fields[name])
            field.choices = [("", "Choose a score"), *score_choices(name)]
            field.empty_value = None
        _offer_plans(self, plan_choices)


class RiskDetailsForm(ServiceModelForm):
    """What the register says of a risk beside its scores, corrected by its organisation's staff."""

    note = NoteField(help_text="What you corrected, and why.")

    class Meta:
        model = Risk
        fields = ("reference", "description", "category", "plan", "domains", "note")
        widgets = DETAIL_WIDGETS
        labels = DETAIL_LABELS
        help_texts = DETAIL_HELP

    def __init__(self, *args, plan_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_plans(self, plan_choices)


def _offer_plans(form, plan_choices):
    plan = cast(forms.ModelChoiceField, form.fields["plan"])
    plan.queryset = plan_choices if plan_choices is not None else ODPlan.objects.none()
    plan.empty_label = "None"
    domains = cast(forms.ModelMultipleChoiceField, form.fields["domains"])
    domains.queryset = AuthorisationDomain.objects.all()
