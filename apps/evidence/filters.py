import django_filters
from django.db.models import Exists, OuterRef, Q

from apps.core.filters import AnyYesNoWidget, ModelChoiceFilter
from apps.core.search import search_filter
from apps.organisations.filters import WithinFilter
from apps.plans.models import AuthorisationDomain

from .models import (
    EVIDENCE_SEARCH_FIELDS,
    LINK_TARGETS,
    EvidenceItem,
    EvidenceLink,
    EvidenceRevision,
    expired_q,
    expiring_q,
)

NOTHING = "nothing"
SUPPORTS_CHOICES = [*LINK_TARGETS, (NOTHING, "Nothing yet")]


def _links(**kwargs):
    return EvidenceLink.objects.filter(item=OuterRef("pk"), removed_at__isnull=True, **kwargs)


class EvidenceFilterSet(django_filters.FilterSet):
    """The evidence library's filters; the dashboard's "evidence past its review date" is
    ``expired=true`` of this list."""

    q = django_filters.CharFilter(method="search", label="Search")
    within = WithinFilter(field_name="organisation")
    supports = django_filters.ChoiceFilter(
        choices=SUPPORTS_CHOICES, method="filter_supports", label="Supports", empty_label="Anything"
    )
    domain = ModelChoiceFilter(
        queryset=AuthorisationDomain.objects.all(),
        method="filter_domain",
        label="Authorisation domain",
        empty_label="Any",
    )
    kind = django_filters.ChoiceFilter(
        choices=EvidenceItem.Kind.choices, label="File or link", empty_label="Either"
    )
    expired = django_filters.BooleanFilter(
        method="filter_expired", label="Past its review date", widget=AnyYesNoWidget
    )
    expiring = django_filters.BooleanFilter(
        method="filter_expiring", label="Review due within 30 days", widget=AnyYesNoWidget
    )
    without_file = django_filters.BooleanFilter(
        method="filter_without_file", label="Without a file", widget=AnyYesNoWidget
    )

    class Meta:
        model = EvidenceItem
        fields = ("q", "within", "supports", "domain", "kind", "expired", "expiring", "without_file")

    def search(self, queryset, name, value):
        return search_filter(queryset, EVIDENCE_SEARCH_FIELDS, value)

    def filter_supports(self, queryset, name, value):
        if value == NOTHING:
            return queryset.filter(~Exists(_links()))
        return queryset.filter(Exists(_links(**{f"{value}__isnull": False})))

    def filter_domain(self, queryset, name, value):
        return queryset.filter(
            Exists(
                _links().filter(
                    Q(deliverable__domains=value)
                    | Q(risk__domains=value)
                    | Q(assessment_score__domain=value)
                    | Q(control__principal_risk__risk__domains=value)
                    | Q(assurance__control__principal_risk__risk__domains=value)
                )
            )
        )

    def filter_expired(self, queryset, name, value):
        return queryset.filter(expired_q()) if value else queryset.exclude(expired_q())

    def filter_expiring(self, queryset, name, value):
        return queryset.filter(expiring_q()) if value else queryset.exclude(expiring_q())

    def filter_without_file(self, queryset, name, value):
        has_file = Exists(EvidenceRevision.objects.filter(item=OuterRef("pk")))
        return queryset.filter(~has_file) if value else queryset.filter(has_file)
