from typing import Any

from django import forms
from django.forms.utils import pretty_name

from apps.core.bounds import NOTE_MAX_LENGTH


def add_service_errors(form: Any, error: Any) -> None:
    """Show a service's ValidationError on the form: per field where it names one, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def person_label(obj: Any) -> str:
    """How a user is offered in a choice of owner: full name, else username."""
    return obj.get_full_name() or obj.get_username()


def _lower_first(text: str) -> str:
    # "Plan title" -> "plan title"; an initialism stays as it is ("PDF file").
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def required_message(field: Any, name: str = "") -> str:
    """What a person is told when they left ``field`` empty: a sentence naming it ("Enter the
    plan title", "Choose the organisation", "Choose a file to upload"), never Django's "This
    field is required."."""
    if getattr(field, "required_message", ""):
        return field.required_message
    label = _lower_first(str(field.label or pretty_name(name) or "this").strip().rstrip(":"))
    if isinstance(field, forms.FileField):
        return "Choose a file to upload."
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.BooleanField):
        return f"Choose the {label}."
    return f"Enter the {label}."


class PlainErrorsMixin:
    """A form whose required fields, left empty, say so in a sentence a person understands
    (``required_message``); ``required_messages`` gives a field its own ({name: message})."""

    required_messages: dict[str, str] = {}
    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.use_plain_required_messages()

    def use_plain_required_messages(self) -> None:
        """Give every field its sentence (again, after a subclass replaced some fields)."""
        for name, field in self.fields.items():
            message = self.required_messages.get(name) or required_message(field, name)
            field.error_messages = {**field.error_messages, "required": message}


class NoteField(forms.CharField):
    """The note every write of the product keeps in the audit trail (and the history row)."""

    # Its label varies ("Note", "Why"): "Enter the why." would not be a sentence.
    required_message = "Write a note saying why. It is kept in the record's history."

    def __init__(self, *, label="Note", help_text="", required=True, **kwargs):
        super().__init__(
            label=label,
            help_text=help_text,
            required=required,
            max_length=NOTE_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            **kwargs,
        )


class ArchiveForm(PlainErrorsMixin, forms.Form):
    """Archive or restore a record: why (kept in its history), and the version the user saw."""

    note = NoteField(label="Why", help_text="Kept in the record's history.")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data=None, instance=None, **kwargs):
        super().__init__(data, **kwargs)
        if instance is not None and not self.is_bound:
            self.initial["version"] = instance.version


class ServiceModelForm(PlainErrorsMixin, forms.ModelForm):
    """A model form whose save is the record's service (the edit path): the form checks its
    fields; the service validates the whole record under the row lock. Editing a record, it
    carries the version the user loaded (hidden), for the service's conflict check."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
            if not self.is_bound:
                self.initial["version"] = self.instance.version

    def changes(self) -> dict[str, Any]:
        """The model fields as submitted (the service works out which of them changed)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields or () if name != "note"}

    def _post_clean(self):
        # Validation of the record belongs to the service, which re-reads the row under a lock.
        pass
