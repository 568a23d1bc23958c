from django import forms

from apps.core.forms import PlainErrorsMixin

from .models import AccessToken
from .services import LIFETIMES


class TokenForm(PlainErrorsMixin, forms.Form):
    required_messages = {
        "name": "Give the token a name: what it is for.",
        "scope": "Choose what the token may do: read only, or read and write.",
        "days": "Choose how long the token lasts.",
    }

    name = forms.CharField(
        max_length=100, label="Name", help_text="What the token is for, e.g. Power BI board dashboard."
    )
    scope = forms.ChoiceField(
        choices=AccessToken.Scope.choices,
        initial=AccessToken.Scope.READ,
        widget=forms.RadioSelect,
        label="What it may do",
    )
    days = forms.TypedChoiceField(
        choices=[(d, f"{d} days") for d in LIFETIMES],
        coerce=int,
        initial=90,
        widget=forms.RadioSelect,
        label="Expires after",
    )
