from typing import Any, cast

from django import forms

from apps.core.forms import NoteField, PlainErrorsMixin, ServiceModelForm

from . import files
from .models import URL_MAX_LENGTH, EvidenceItem

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
LABELS = {
    "title": "Title",
    "kind": "A file or a link?",
    "url": "Address of the document",
    "speaks_for": "Date it speaks for",
    "review_on": "Review or expiry date (optional)",
    "note": "Note",
}
HELP = {
    "title": "What it is, as a reader would look for it, e.g. Governing body minutes, 31 October 2012.",
    "url": "For a link: where the document is kept, e.g. its SharePoint address (https://...).",
    "speaks_for": "The day the evidence shows (the meeting, the audit), not today.",
    "review_on": "When it must be looked at again; its owner is reminded 30 days before.",
}


class EvidenceFileField(forms.FileField):
    """An uploaded file, checked by its content (``files.check_upload``); its cleaned value is
    the ``CheckedFile`` the service keeps."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text",
            f"{files.ALLOWED_WORDS}; at most {files.size_words(files.max_upload_bytes())}. "
            "Office files with macros and programs are refused.",
        )
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = files.ACCEPT

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if not upload:
            return None
        return files.check_upload(upload)


def _dates(form: forms.BaseForm) -> None:
    for name in ("speaks_for", "review_on"):
        if name in form.fields:
            form.fields[name].input_formats = DATE_FORMATS  # type: ignore[attr-defined]


def _url_field() -> forms.URLField:
    return forms.URLField(
        label=LABELS["url"],
        help_text=HELP["url"],
        max_length=URL_MAX_LENGTH,
        required=False,
        assume_scheme="https",
    )


class EvidenceCreateForm(ServiceModelForm):
    """A new piece of evidence: a file to upload or a link, its title, dates and a note."""

    file = EvidenceFileField(label="File", required=False)
    url = _url_field()
    note = NoteField(label="Note", help_text="What it shows, and for whom. Kept in its history.")

    class Meta:
        model = EvidenceItem
        fields = ("kind", "title", "file", "url", "speaks_for", "review_on", "note")
        widgets = {"kind": forms.RadioSelect, "speaks_for": DATE_WIDGET, "review_on": DATE_WIDGET}
        labels = LABELS
        help_texts = HELP

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = cast(forms.ChoiceField, self.fields["kind"])
        kind.choices = [("file", "A file to upload"), ("link", "A link to where it is kept")]
        _dates(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == EvidenceItem.Kind.FILE and not data.get("file") and "file" not in self.errors:
            self.add_error("file", "Choose a file to upload.")
        if kind == EvidenceItem.Kind.LINK and not data.get("url") and "url" not in self.errors:
            self.add_error("url", "Enter the address of the document (https://...).")
        if kind == EvidenceItem.Kind.LINK:
            data["file"] = None
        if kind == EvidenceItem.Kind.FILE:
            data["url"] = ""
        return data

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("kind", "title", "url", "speaks_for", "review_on")}


class EvidenceDetailsForm(ServiceModelForm):
    """Correct an item's title, address, dates."""

    url = _url_field()
    note = NoteField(help_text="What you corrected, and why.")

    class Meta:
        model = EvidenceItem
        fields = ("title", "url", "speaks_for", "review_on", "note")
        widgets = {"speaks_for": DATE_WIDGET, "review_on": DATE_WIDGET}
        labels = LABELS
        help_texts = HELP

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.kind == EvidenceItem.Kind.FILE:
            del self.fields["url"]
        _dates(self)


class EvidenceRevisionForm(PlainErrorsMixin, forms.Form):
    """A new file for an item: its next revision."""

    file = EvidenceFileField(label="New file")
    note = NoteField(help_text="What this file changes (the approved minutes, a later audit...).")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data=None, files=None, instance=None, **kwargs):
        super().__init__(data, files, **kwargs)
        if instance is not None and not self.is_bound:
            self.initial["version"] = instance.version


class EvidenceLinkForm(PlainErrorsMixin, forms.Form):
    """Link existing evidence of the organisation to a record."""

    item = forms.ModelChoiceField(
        queryset=EvidenceItem.objects.none(),
        label="Evidence",
        widget=forms.RadioSelect,
        help_text="The organisation's evidence not yet linked to this record.",
    )
    note = NoteField(label="Note", required=False, help_text="Why it supports this record (optional).")

    def __init__(self, *args: Any, items: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["item"])
        field.queryset = items if items is not None else EvidenceItem.objects.none()
        field.label_from_instance = _item_label  # type: ignore[method-assign]


def _item_label(obj: Any) -> str:
    return f"{obj.title} ({obj.speaks_for:%d/%m/%Y})"
