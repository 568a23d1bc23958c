"""Reads of the organisation landscape: each selector owns its joins and annotations."""

from typing import Any

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Prefetch, QuerySet, Sum, When

from .models import MAX_DEPTH, Organisation, OrganisationQuerySet

LAT_TOTAL_FIELDS = ("population_thousands", "ccg_count", "hwb_count")


def lat_list() -> OrganisationQuerySet:
    """Local area teams with region, hub and population per CCG (thousands, derived)."""
    return (
        Organisation.objects.of_kind(Organisation.Kind.LAT)
        .select_related("parent", "specialised_hub")
        .annotate(
            population_per_ccg_value=Case(
                When(
                    ccg_count__gt=0,
                    then=ExpressionWrapper(
                        F("population_thousands") * 1.0 / F("ccg_count"),
                        output_field=DecimalField(max_digits=10, decimal_places=1),
                    ),
                ),
                default=None,
            )
        )
        .order_by("parent__position", "position")
    )


FIGURE_LABELS = {"population_thousands": "Population (000s)", "ccg_count": "CCGs", "hwb_count": "HWBs"}


def totals(queryset: QuerySet[Organisation]) -> dict[str, Any]:
    """Sums of the published LAT figures over ``queryset``: computed, never typed."""
    return queryset.aggregate(**{name: Sum(name) for name in LAT_TOTAL_FIELDS})


def _differences(summed: dict[str, Any], published: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(label, sum of rows, published figure) wherever the source's printed total differs."""
    return [
        (label, summed.get(field), published[field])
        for field, label in FIGURE_LABELS.items()
        if published.get(field) is not None and summed.get(field) != published[field]
    ]


def published_discrepancies() -> list[dict[str, Any]]:
    """Regions and the national body whose printed totals differ from the sum of their LATs.

    The source tables' totals are kept on the region and national records as published; the
    page shows the computed sums and names each difference (two queries in all)."""
    lat_sums = {
        row["parent_id"]: row
        for row in Organisation.objects.of_kind(Organisation.Kind.LAT)
        .values("parent_id")
        .annotate(**{f: Sum(f) for f in LAT_TOTAL_FIELDS})
        .order_by()
    }
    grand = {f: sum((row[f] or 0) for row in lat_sums.values()) for f in LAT_TOTAL_FIELDS}
    found = []
    for org in Organisation.objects.of_kind(Organisation.Kind.REGION, Organisation.Kind.NATIONAL).values(
        "pk", "name", "kind", *LAT_TOTAL_FIELDS
    ):
        summed = grand if org["kind"] == Organisation.Kind.NATIONAL else lat_sums.get(org["pk"], {})
        for label, computed, printed in _differences(summed, org):
            found.append({"name": org["name"], "figure": label, "computed": computed, "published": printed})
    return found


def organisation_detail(slug: str) -> Organisation:
    """One organisation with its chain of parents, children and figures loaded in few queries."""
    chain = "parent__" * 5 + "parent"
    return (
        Organisation.objects.select_related(chain, "specialised_hub", "pct_cluster")
        .prefetch_related(
            Prefetch("children", queryset=Organisation.objects.select_related("specialised_hub")),
            "functions",
            "health_and_wellbeing_boards",
            "team_roles",
            Prefetch("mapped_lats", queryset=Organisation.objects.select_related("parent")),
            "pct_clusters",
            "ccgs",
            "specialised_hub__lats",
        )
        .get(slug=slug)
    )


def people_of(organisation: Organisation) -> QuerySet[Any]:
    """Users who may own work of ``organisation``: members of it or of an organisation above it."""
    from django.contrib.auth import get_user_model

    # The organisation's parents in one query (one join a level), not one query a level.
    levels = ["parent" + "__parent" * n for n in range(MAX_DEPTH - 1)]
    above = Organisation.objects.filter(pk=organisation.pk).values_list(*levels).first() or ()
    chain = [organisation.pk, *(pk for pk in above if pk is not None)]
    return (
        get_user_model()
        .objects.filter(memberships__organisation__in=chain)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
