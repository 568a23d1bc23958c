"""The allowed domains page's form: its shape; apps/signon/services.py decides who may."""

from typing import cast

from django import forms

from apps.core.forms import PlainErrorsMixin
from apps.organisations.forms import OrganisationChoiceField
from apps.organisations.models import Membership, Organisation


class AllowedDomainForm(PlainErrorsMixin, forms.Form):
    domain = forms.CharField(
        label="Email domain",
        max_length=253,
        help_text="The part of people's addresses after the @, e.g. dorsetccg.nhs.uk. Not nhs.net: "
        "every NHSmail user has it.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    organisation = OrganisationChoiceField(queryset=Organisation.objects.none(), empty_label=None)
    role = forms.ChoiceField(help_text="Governing-body member: reads. Staff: also updates the records.")

    def __init__(self, *args, organisations, roles, initial_organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organisation"]).queryset = organisations
        cast(forms.ChoiceField, self.fields["role"]).choices = [
            (role, Membership.Role(role).label) for role in roles
        ]
        if initial_organisation is not None and not self.is_bound:
            self.initial["organisation"] = initial_organisation.pk
