from typing import cast

from django import forms
from django.contrib.auth import get_user_model

from apps.core.audit import NOTE_MAX_LENGTH
from apps.core.forms import PlainErrorsMixin, person_label

from .models import SCORE_FIELDS, Risk, score_choices


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
        cast(forms.DateField, self.fields["next_review_on"]).input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version

    def changes(self):
        return {field: self.cleaned_data[field] for field in self.Meta.fields if field != "note"}

    def _post_clean(self):
        # The service validates the model under a row lock.
        pass
