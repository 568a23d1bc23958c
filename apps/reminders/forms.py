from django import forms

from apps.core.forms import PlainErrorsMixin

from .models import Frequency


class ReminderPreferenceForm(PlainErrorsMixin, forms.Form):
    required_messages = {"frequency": "Choose how often ccgtrack emails you: weekly, daily or never."}

    frequency = forms.ChoiceField(
        label="Send me reminders", choices=Frequency.choices, widget=forms.RadioSelect
    )
