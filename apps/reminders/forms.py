from django import forms

from .models import Frequency


class ReminderPreferenceForm(forms.Form):
    frequency = forms.ChoiceField(
        label="Send me reminders", choices=Frequency.choices, widget=forms.RadioSelect
    )
