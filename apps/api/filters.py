"""Filters of the API's lists that no page has (the organisations, the history rows, the plans'
parts, the evidence's files). The deliverables, the risks and the evidence take the pages' own
filtersets (apps.plans.filters, apps.risks.filters, apps.evidence.filters), not copies."""

import django_filters

from apps.core.filters import MomentFilter
from apps.evidence.models import EvidenceRevision
from apps.organisations import permissions
from apps.organisations.filters import WithinFilter
from apps.organisations.models import Organisation
from apps.plans.models import Objective, ODPlan, SelfAssessment, StatusUpdate, Theme
from apps.reports.models import IssuedPaper
from apps.risks.models import RiskReview


def _visible(request):
    return permissions.visible_organisations(request.user)


class OrganisationFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Organisation.Kind.choices, distinct=False)
    parent = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(), label="Parent organisation"
    )
    within = WithinFilter(field_name="pk", queryset=Organisation.objects.all())

    class Meta:
        model = Organisation
        fields = ("kind", "parent", "within")


class PlanFilterSet(django_filters.FilterSet):
    organisation = django_filters.ModelChoiceFilter(queryset=_visible)
    within = WithinFilter(field_name="organisation")

    class Meta:
        model = ODPlan
        fields = ("organisation", "within")


class ThemeFilterSet(django_filters.FilterSet):
    plan = django_filters.NumberFilter()

    class Meta:
        model = Theme
        fields = ("plan",)


class ObjectiveFilterSet(django_filters.FilterSet):
    theme = django_filters.NumberFilter()
    plan = django_filters.NumberFilter(field_name="theme__plan")

    class Meta:
        model = Objective
        fields = ("theme", "plan")


class StatusUpdateFilterSet(django_filters.FilterSet):
    deliverable = django_filters.NumberFilter()
    created_after = MomentFilter(field_name="created_at", lookup_expr="gt")
    status_changes = django_filters.BooleanFilter(method="filter_status_changes", label="Status changes only")

    class Meta:
        model = StatusUpdate
        fields = ("deliverable", "created_after", "status_changes")

    def filter_status_changes(self, queryset, name, value):
        return queryset.status_changes() if value else queryset


class RiskReviewFilterSet(django_filters.FilterSet):
    risk = django_filters.NumberFilter()
    created_after = MomentFilter(field_name="created_at", lookup_expr="gt")

    class Meta:
        model = RiskReview
        fields = ("risk", "created_after")


class SelfAssessmentFilterSet(django_filters.FilterSet):
    organisation = django_filters.ModelChoiceFilter(queryset=_visible)

    class Meta:
        model = SelfAssessment
        fields = ("organisation",)


class IssuedPaperFilterSet(django_filters.FilterSet):
    plan = django_filters.NumberFilter()
    meeting_date = django_filters.DateFromToRangeFilter()

    class Meta:
        model = IssuedPaper
        fields = ("plan", "meeting_date")


class EvidenceRevisionFilterSet(django_filters.FilterSet):
    item = django_filters.NumberFilter()
    uploaded_after = MomentFilter(field_name="uploaded_at", lookup_expr="gt")

    class Meta:
        model = EvidenceRevision
        fields = ("item", "uploaded_after")
