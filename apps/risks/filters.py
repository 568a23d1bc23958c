import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from apps.core import permissions
from apps.core.filters import AnyYesNoWidget, WithinFilter
from apps.organisations.models import Organisation

from .models import Band, Risk

SCORES = [(n, str(n)) for n in range(1, 6)]


def _organisations(request):
    return Organisation.objects.filter(
        risks__isnull=False, pk__in=permissions.visible_organisations(request.user)
    ).distinct()


def _owners(request):
    return (
        get_user_model()
        .objects.filter(owned_risks__organisation__in=permissions.visible_organisations(request.user))
        .distinct()
    )


class RiskFilterSet(django_filters.FilterSet):
    """Filters of the risk list; the heat map takes the same ones, so its counts are the list's."""

    q = django_filters.CharFilter(method="search", label="Search")
    within = WithinFilter(field_name="organisation")
    organisation = django_filters.ModelChoiceFilter(
        queryset=_organisations, label="Organisation", empty_label="All"
    )
    category = django_filters.CharFilter(lookup_expr="iexact", label="Category")
    band = django_filters.MultipleChoiceFilter(choices=Band.choices, label="Band")
    residual_band = django_filters.MultipleChoiceFilter(choices=Band.choices, label="Residual band")
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label="Owner", empty_label="Anyone")
    review_overdue = django_filters.BooleanFilter(
        method="filter_review_overdue", label="Review overdue", widget=AnyYesNoWidget
    )
    status = django_filters.ChoiceFilter(choices=Risk.Status.choices, empty_label="Any")
    severity = django_filters.TypedChoiceFilter(choices=SCORES, coerce=int, label="Severity")
    likelihood = django_filters.TypedChoiceFilter(choices=SCORES, coerce=int, label="Likelihood")
    residual_severity = django_filters.TypedChoiceFilter(
        choices=SCORES, coerce=int, label="Residual severity"
    )
    residual_likelihood = django_filters.TypedChoiceFilter(
        choices=SCORES, coerce=int, label="Residual likelihood"
    )

    class Meta:
        model = Risk
        fields = (
            "q",
            "within",
            "organisation",
            "category",
            "band",
            "residual_band",
            "owner",
            "review_overdue",
            "status",
            "severity",
            "likelihood",
            "residual_severity",
            "residual_likelihood",
        )

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(description__icontains=value)
            | Q(mitigation__icontains=value)
            | Q(category__icontains=value)
            | Q(reference__iexact=value)
        )

    def filter_review_overdue(self, queryset, name, value):
        overdue = Q(next_review_on__lt=timezone.localdate(), status=Risk.Status.OPEN)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
