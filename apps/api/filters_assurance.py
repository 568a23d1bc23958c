"""Filters of the API's framework lists that no page has (the principal risks take the pages'
own filterset, apps.assurance.filters.PrincipalRiskFilterSet, not a copy)."""

import django_filters

from apps.assurance.models import (
    Assurance,
    Category,
    Committee,
    Control,
    Gap,
    GapKind,
    Level,
    Line,
    RiskAppetite,
    StrategicObjective,
)


class StrategicObjectiveFilterSet(django_filters.FilterSet):
    organisation = django_filters.NumberFilter()

    class Meta:
        model = StrategicObjective
        fields = ("organisation",)


class ControlFilterSet(django_filters.FilterSet):
    principal_risk = django_filters.NumberFilter()

    class Meta:
        model = Control
        fields = ("principal_risk",)


class AssuranceFilterSet(django_filters.FilterSet):
    principal_risk = django_filters.NumberFilter(field_name="control__principal_risk")
    control = django_filters.NumberFilter()
    committee = django_filters.NumberFilter()
    line = django_filters.ChoiceFilter(choices=Line.choices)
    level = django_filters.ChoiceFilter(choices=Level.choices)

    class Meta:
        model = Assurance
        fields = ("principal_risk", "control", "committee", "line", "level")


class GapFilterSet(django_filters.FilterSet):
    principal_risk = django_filters.NumberFilter()
    kind = django_filters.ChoiceFilter(choices=GapKind.choices)
    closed = django_filters.BooleanFilter(field_name="closed_on", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Gap
        fields = ("principal_risk", "kind", "closed")


class RiskAppetiteFilterSet(django_filters.FilterSet):
    organisation = django_filters.NumberFilter()
    category = django_filters.ChoiceFilter(choices=Category.choices)

    class Meta:
        model = RiskAppetite
        fields = ("organisation", "category")


class CommitteeFilterSet(django_filters.FilterSet):
    organisation = django_filters.NumberFilter()

    class Meta:
        model = Committee
        fields = ("organisation",)
