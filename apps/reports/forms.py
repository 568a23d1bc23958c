from typing import cast

from django import forms

from apps.core.bounds import NOTE_MAX_LENGTH
from apps.core.forms import PlainErrorsMixin

from .models import COVER_FIELDS, BoardReport


class BoardReportForm(PlainErrorsMixin, forms.ModelForm):
    """The cover sheet of a board report. The version field carries the version the author
    loaded (0 when the plan had no report), for the service's conflict check."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    report = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = BoardReport
        fields = COVER_FIELDS
        widgets = {
            "meeting_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in COVER_FIELDS
                if name not in ("title", "meeting_date", "author", "sponsoring_member")
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.DateField, self.fields["meeting_date"]).input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        if not self.is_bound:
            self.initial["version"] = self.instance.version if self.instance.pk else 0
            self.initial["report"] = self.instance.pk

    def cover(self):
        """The cover sheet as submitted, for the service."""
        return {field: self.cleaned_data[field] for field in COVER_FIELDS}

    def _post_clean(self):
        # The service validates the record after re-reading it under a lock.
        pass


class IssuePaperForm(PlainErrorsMixin, forms.Form):
    """The confirmation of an issue: the cover sheet (and its version) the user was shown, so a
    cover sheet changed meanwhile is not issued unseen, and for a correction what it corrects."""

    cover_sheet = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    correction_note = forms.CharField(
        label="What this correction corrects",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the corrected paper, and shown on the paper it supersedes.",
    )

    def __init__(self, *args, correction=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.correction = correction
        if not correction:
            self.fields["correction_note"].widget = forms.HiddenInput()
