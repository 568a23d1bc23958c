import django_filters

from apps.core.filters import AnyYesNoWidget, ModelChoiceFilter
from apps.core.search import search_filter
from apps.organisations import permissions
from apps.organisations.filters import WithinFilter
from apps.organisations.models import Organisation
from apps.risks.models import RISK_SEARCH_FIELDS, Risk

from .models import (
    Category,
    Committee,
    PrincipalRisk,
    outside_appetite_q,
    overdue_actions_q,
    weak_assurance_q,
)


def _organisations(request):
    return Organisation.objects.filter(
        permissions.visible_q(request.user, "pk"),
        pk__in=PrincipalRisk.objects.values("risk__organisation_id"),
    )


def _committees(request):
    return Committee.objects.filter(permissions.visible_q(request.user, "organisation"))


def _yes_no(queryset, q, value):
    return queryset.filter(q) if value else queryset.exclude(q)


class PrincipalRiskFilterSet(django_filters.FilterSet):
    """Filters of the principal risks: the framework page, the roll-up list and the dashboard's
    figure take the same ones. The queryset is ``PrincipalRisk.objects.with_appetite()``."""

    q = django_filters.CharFilter(method="search", label="Search")
    within = WithinFilter(field_name="risk__organisation")
    organisation = ModelChoiceFilter(
        field_name="risk__organisation", queryset=_organisations, label="Organisation", empty_label="All"
    )
    outside_appetite = django_filters.BooleanFilter(
        method="filter_outside_appetite", label="Outside appetite", widget=AnyYesNoWidget
    )
    weak_assurance = django_filters.BooleanFilter(
        method="filter_weak_assurance", label="Limited or no assurance", widget=AnyYesNoWidget
    )
    overdue_actions = django_filters.BooleanFilter(
        method="filter_overdue_actions", label="Actions overdue", widget=AnyYesNoWidget
    )
    committee = ModelChoiceFilter(queryset=_committees, label="Committee", empty_label="Any")
    category = django_filters.ChoiceFilter(choices=Category.choices, label="Category", empty_label="Any")

    class Meta:
        model = PrincipalRisk
        fields: tuple[str, ...] = (
            "q",
            "within",
            "organisation",
            "outside_appetite",
            "weak_assurance",
            "overdue_actions",
            "committee",
            "category",
        )

    def search(self, queryset, name, value):
        ids = search_filter(Risk.objects.all(), RISK_SEARCH_FIELDS, value).values("pk")
        return queryset.filter(risk__in=ids)

    def filter_outside_appetite(self, queryset, name, value):
        return _yes_no(queryset, outside_appetite_q(), value)

    def filter_weak_assurance(self, queryset, name, value):
        return _yes_no(queryset, weak_assurance_q(), value)

    def filter_overdue_actions(self, queryset, name, value):
        return _yes_no(queryset, overdue_actions_q(), value)


class FrameworkFilterSet(PrincipalRiskFilterSet):
    """The framework page's filters: one organisation's, so no organisation to choose."""

    class Meta(PrincipalRiskFilterSet.Meta):
        fields = ("q", "outside_appetite", "weak_assurance", "overdue_actions", "committee", "category")

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("within", "organisation"):
            self.filters.pop(name, None)
        if organisation is not None:
            committee = self.filters["committee"]
            committee.queryset = Committee.objects.filter(organisation=organisation)
