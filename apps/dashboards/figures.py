"""A dashboard figure is defined once: as the filter parameters of the list it stands for.

The number is computed by running the list's own filterset with those parameters over the
dashboard's scope (the same ``within`` the link carries), and the link is built from the same
parameters, so a figure and the list it links to cannot disagree. All the figures of one list
are counted in one aggregate query."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse

from apps.core.filters import bound_filtersets
from apps.organisations.filters import within


@dataclass(frozen=True)
class Figure:
    count: int
    url: str


def list_url(url_name: str, **params: Any) -> str:
    """The URL of a list filtered by ``params`` (list values repeat the parameter)."""
    return _with_query(reverse(url_name), params)


def _with_query(path: str, params: dict[str, Any]) -> str:
    query = _query(params)
    return f"{path}?{query.urlencode()}" if query else path


def _query(params: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in params.items():
        if isinstance(value, list | tuple):
            query.setlist(name, [str(v) for v in value])
        else:
            query[name] = str(value)
    return query


@dataclass
class FigureList:
    """The figures of one list page (``url_name``, filtered by ``filterset_class``) over the
    rows of ``queryset`` within ``organisation`` (reached from a row by ``scope_field``)."""

    url_name: str
    filterset_class: type
    queryset: QuerySet[Any]
    scope_field: str
    organisation: Model
    request: HttpRequest
    # The pks of the organisation and everything beneath it, where the dashboard has read them
    # (one query for all its figure lists rather than one each).
    scope: list[int] | None = None

    def count(self, figures: dict[str, dict[str, Any]]) -> dict[str, Figure]:
        """{key: Figure} for ``figures``, a dict of key to the list's filter parameters."""
        scoped = within(self.queryset, self.scope_field, self.organisation.pk, scope=self.scope)
        aggregates = {}
        filtersets = bound_filtersets(
            self.filterset_class, [_query(p) for p in figures.values()], queryset=scoped, request=self.request
        )
        for (key, params), filterset in zip(figures.items(), filtersets, strict=True):
            if not filterset.is_valid():  # a figure whose parameters the list refuses is a bug
                raise ValueError(f"Figure {key!r}: the list refuses {params}: {filterset.errors.as_json()}")
            condition = _condition(filterset, self.queryset)
            if condition is None:
                condition = Q(pk__in=filterset.qs.order_by().values("pk"))
            aggregates[key] = Count("pk", filter=condition)
        counts = scoped.order_by().aggregate(**aggregates) if aggregates else {}
        path = reverse(self.url_name)  # once for all the figures of the list
        return {
            key: Figure(counts[key], _with_query(path, {"within": self.organisation.pk, **params}))
            for key, params in figures.items()
        }


def _condition(filterset: Any, base: QuerySet[Any]) -> Any:
    """The figure's filter as a condition on one row of ``base`` (the WHERE clause the list's
    filterset gives over it), so that every figure is counted in one pass over the scope's rows;
    None where the filter needs more than the row (a join, say), when the figure is counted as
    "pk IN (the rows the filterset gives)", which runs the filtered list once per figure (the NHS
    CB's dashboard: 27 passes over the country, 0.6 s). Either way the rows counted are those
    the filterset gives: the condition is its own WHERE."""
    if base.query.distinct or base.query.combinator:
        return None
    query = filterset.filter_queryset(base.all()).query
    if (
        set(query.alias_map) != set(base.query.alias_map)
        or query.annotations.keys() != base.query.annotations.keys()  # (the risks' ratings)
        or query.is_empty()
    ):
        return None
    return query.where if query.where.children else None
