import django_filters
from django import forms
from django_filters.widgets import BooleanWidget

from apps.core import permissions


class AnyYesNoWidget(BooleanWidget):
    """A yes/no filter whose empty choice reads 'Any' (django-filter's says 'Unknown')."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", "Any"), ("true", "Yes"), ("false", "No"))


class WithinFilter(django_filters.ModelChoiceFilter):
    """Rows of an organisation and everything beneath it (``field_name`` leads to the
    organisation). Set by dashboard links, so it is a hidden field: a select listing every
    organisation was the costliest part of the list pages (`make bench`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", lambda request: permissions.visible_organisations(request.user))
        kwargs.setdefault("label", "Within (organisation and beneath)")
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        from apps.organisations.models import Organisation

        return qs.filter(**{f"{self.field_name}__in": Organisation.objects.beneath([value.pk])})
