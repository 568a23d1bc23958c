"""Forms of the people page. They check the shape of what was posted; the services in
``services.py`` check who may do it."""

from typing import cast

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from apps.core.forms import PlainErrorsMixin

from .models import Membership, Organisation

ROLE_HELP = (
    "Governing-body member: reads. Staff: also updates deliverables, risks and board reports. "
    "Organisation administrator: also manages these people."
)


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


def _role_choices(roles):
    return [(role, Membership.Role(role).label) for role in roles]


class InviteForm(PlainErrorsMixin, forms.Form):
    """Invite a person by email, with a role at this organisation or one beneath it."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off", "spellcheck": "false"}),
    )
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    organisation = OrganisationChoiceField(queryset=Organisation.objects.none(), empty_label=None)
    role = forms.ChoiceField(help_text=ROLE_HELP)

    def __init__(self, *args, organisations, roles, initial_organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = cast(forms.ModelChoiceField, self.fields["organisation"])
        organisation.queryset = organisations
        cast(forms.ChoiceField, self.fields["role"]).choices = _role_choices(roles)
        if initial_organisation is not None and not self.is_bound:
            self.initial["organisation"] = initial_organisation.pk
        if not self.is_bound:
            self.initial.setdefault("role", Membership.Role.STAFF)


class RoleForm(PlainErrorsMixin, forms.Form):
    """A membership's new role (any role by shape; the service decides whether it may be given)."""

    role = forms.ChoiceField(choices=Membership.Role.choices)


class InvitationPasswordForm(PlainErrorsMixin, SetPasswordForm):
    """The invited person's first password, checked by the password validators."""
