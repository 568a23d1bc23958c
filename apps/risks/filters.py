import django_filters
from django import forms
from django.contrib.auth import get_user_model

from apps.core.filters import AnyYesNoWidget, ModelChoiceFilter, PersonChoiceFilter
from apps.core.history.as_at import PARAM
from apps.core.history.lists import AsAtFilterMixin
from apps.core.search import search_filter
from apps.organisations import permissions
from apps.organisations.filters import WithinFilter
from apps.organisations.models import Organisation

from .models import (
    LIKELIHOOD_CHOICES,
    RISK_SEARCH_FIELDS,
    SEVERITY_CHOICES,
    Band,
    Risk,
    RiskAsAt,
    review_overdue_q,
)


def _organisations(request):
    return Organisation.objects.filter(
        permissions.visible_q(request.user, "pk"), pk__in=Risk.objects.values("organisation_id")
    )


def _owners(request):
    return get_user_model().objects.filter(
        pk__in=Risk.objects.filter(permissions.visible_q(request.user, "organisation")).values("owner_id")
    )


class RiskFilterSet(django_filters.FilterSet):
    """Filters of the risk list; the heat map takes the same ones, so its counts are the list's."""

    q = django_filters.CharFilter(method="search", label="Search")
    within = WithinFilter(field_name="organisation")
    organisation = ModelChoiceFilter(queryset=_organisations, label="Organisation", empty_label="All")
    category = django_filters.CharFilter(lookup_expr="iexact", label="Category")
    # Checkboxes, not a multi-select that needs Ctrl-click.
    # Bands of the row itself (no join repeats a row): no DISTINCT, django-filter's default.
    band = django_filters.MultipleChoiceFilter(
        choices=Band.choices, label="Band", widget=forms.CheckboxSelectMultiple, distinct=False
    )
    residual_band = django_filters.MultipleChoiceFilter(
        choices=Band.choices, label="Residual band", widget=forms.CheckboxSelectMultiple, distinct=False
    )
    owner = PersonChoiceFilter(queryset=_owners, label="Owner", empty_label="Anyone")
    review_overdue = django_filters.BooleanFilter(
        method="filter_review_overdue", label="Review overdue", widget=AnyYesNoWidget
    )
    outside_appetite = django_filters.BooleanFilter(
        method="filter_outside_appetite", label="Outside appetite", widget=AnyYesNoWidget
    )
    status = django_filters.ChoiceFilter(choices=Risk.Status.choices, label="Status", empty_label="Any")
    # Every filter starts blank and means "any" when blank.
    severity = django_filters.ChoiceFilter(choices=SEVERITY_CHOICES, label="Severity", empty_label="Any")
    likelihood = django_filters.ChoiceFilter(
        choices=LIKELIHOOD_CHOICES, label="Likelihood", empty_label="Any"
    )
    residual_severity = django_filters.ChoiceFilter(
        choices=SEVERITY_CHOICES, label="Residual severity", empty_label="Any"
    )
    residual_likelihood = django_filters.ChoiceFilter(
        choices=LIKELIHOOD_CHOICES, label="Residual likelihood", empty_label="Any"
    )

    class Meta:
        model = Risk
        fields: tuple[str, ...] = (
            "q",
            "within",
            "organisation",
            "category",
            "band",
            "residual_band",
            "owner",
            "review_overdue",
            "outside_appetite",
            "status",
            "severity",
            "likelihood",
            "residual_severity",
            "residual_likelihood",
        )

    def search(self, queryset, name, value):
        return search_filter(queryset, RISK_SEARCH_FIELDS, value)

    def filter_review_overdue(self, queryset, name, value):
        return queryset.filter(review_overdue_q()) if value else queryset.exclude(review_overdue_q())

    def filter_outside_appetite(self, queryset, name, value):
        # The framework's one definition, as the list's annotation (RiskQuerySet.with_outside_appetite).
        from apps.assurance.models import risk_outside_appetite

        return (
            queryset.filter(risk_outside_appetite()) if value else queryset.exclude(risk_outside_appetite())
        )


class RiskAsAtFilterSet(AsAtFilterMixin, RiskFilterSet):
    """The register's filters over the risks as they stood at a date: review overdue is judged
    on that day. Outside appetite is not offered: the framework as it stood is its own page
    (the framework as at a date)."""

    outside_appetite = None

    class Meta(RiskFilterSet.Meta):
        model = RiskAsAt
        fields: tuple[str, ...] = (
            *(name for name in RiskFilterSet.Meta.fields if name != "outside_appetite"),
            PARAM,
        )

    def filter_review_overdue(self, queryset, name, value):
        q = review_overdue_q(self.as_at_value.day)
        return queryset.filter(q) if value else queryset.exclude(q)
