import django_filters
from django.db.models import Q

from apps.core.filters import AnyYesNoWidget

from .models import Organisation, SpecialisedHub


class LatFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    region = django_filters.ModelChoiceFilter(
        field_name="parent",
        label="Region",
        queryset=Organisation.objects.of_kind(Organisation.Kind.REGION),
        empty_label="All regions",
    )
    hub = django_filters.ModelChoiceFilter(
        field_name="specialised_hub",
        label="Specialised hub",
        queryset=SpecialisedHub.objects.all(),
        empty_label="Any",
    )
    hosts_hub = django_filters.BooleanFilter(
        field_name="specialised_hub",
        lookup_expr="isnull",
        exclude=True,
        label="Hosts a hub",
        widget=AnyYesNoWidget,
    )

    class Meta:
        model = Organisation
        fields = ("q", "region", "hub", "hosts_hub")

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(aliases__icontains=value))
