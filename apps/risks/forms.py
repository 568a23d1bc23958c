from django import forms

from apps.core.audit import NOTE_MAX_LENGTH

from .models import Risk

SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class RiskReviewForm(forms.ModelForm):
    """A review: new scores, mitigation, owner, next review date, status and a note."""

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
        for name in ("severity", "likelihood", "residual_severity", "residual_likelihood"):
            self.fields[name] = forms.TypedChoiceField(
                label=self.fields[name].label, choices=SCORE_CHOICES, coerce=int, help_text="1 (lowest) to 5"
            )
        self.fields["owner"].queryset = (
            owner_choices if owner_choices is not None else self.fields["owner"].queryset.none()
        )
        self.fields["owner"].label_from_instance = lambda user: user.get_full_name() or user.get_username()
        self.fields["next_review_on"].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version

    def clean(self):
        data = super().clean()
        sev, lik, res_sev, res_lik = (
            data.get(f) for f in ("severity", "likelihood", "residual_severity", "residual_likelihood")
        )
        if None not in (sev, lik, res_sev, res_lik) and res_sev * res_lik > sev * lik:
            self.add_error(
                "residual_likelihood",
                f"Residual rating {res_sev * res_lik} ({res_sev} x {res_lik}) cannot be above "
                f"the inherent rating {sev * lik} ({sev} x {lik}).",
            )
        return data

    def changes(self):
        return {field: self.cleaned_data[field] for field in self.Meta.fields if field != "note"}

    def _post_clean(self):
        # The service validates the model under a row lock.
        pass
