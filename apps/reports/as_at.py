"""The data as it stood at a date: "as reported to the board in March".

``?as_at=YYYY-MM-DD`` on the deliverables list, the risk register and the organisation
dashboard shows the records as they stood at the end of that day (Europe/London),
reconstructed from the audit trail: for each deliverable or risk, its latest pghistory event
recorded up to then, unless that event is its deletion; records inserted later have no such
event and are absent. Rows are the event rows themselves, seen through proxy models
(``DeliverableAsAt``, ``RiskAsAt``) that carry the records' querysets, so the lists' filters,
sorting, paging, exports and the dashboard's figures run on them in SQL, unchanged, and the
number of queries stays what it is for live data.

Archived records: every event carries the record's ``archived_at`` as it was then, so the
rows go through the same ``current()`` as the live pages: as at a day, a record archived by
then is left out, and one archived later is shown as it stood (marked "since archived" on the
list, where its page is gone).

What the audit trail does not record is shown as it is now, and the banner says so: which
authorisation domains a deliverable serves (a many-to-many), the themes and plans, the risk
band edges and the self-assessment.

This module is the one place the reconstruction lives; the three pages use ``AsAtListMixin``
(the lists) and ``deliverables``/``risks``/``status_updates`` (the dashboard).
"""

import datetime
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import django_filters
from django import forms
from django.db import connection
from django.db.models import Lookup, Q, QuerySet
from django.http import QueryDict
from django.shortcuts import render
from django.utils import timezone

from apps.plans.filters import DeliverableFilterSet
from apps.plans.models import (
    AuthorisationDomain,
    StatusUpdate,
    StatusUpdateQuerySet,
    due_soon_q,
    overdue_q,
    stale_q,
)
from apps.risks.filters import RiskFilterSet
from apps.risks.models import review_overdue_q

from .models import DeliverableAsAt, DeliverableAsAtQuerySet, RiskAsAt, RiskAsAtQuerySet

PARAM = "as_at"


@dataclass(frozen=True)
class AsAt:
    """A day, and the moment its data is read at: the last instant of that day in
    Europe/London. ``requested`` is the day asked for when it lay in the future."""

    day: datetime.date
    moment: datetime.datetime
    requested: datetime.date | None = None

    @classmethod
    def of_day(cls, day: datetime.date) -> "AsAt":
        today = timezone.localdate()
        requested = day if day > today else None
        day = min(day, today)
        start_of_next = timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        )
        return cls(day=day, moment=start_of_next - datetime.timedelta(microseconds=1), requested=requested)

    @classmethod
    def of_moment(cls, moment: datetime.datetime) -> "AsAt":
        """The data as it stood at an exact moment (an issued paper's data read time)."""
        return cls(day=timezone.localtime(moment).date(), moment=moment)

    @property
    def param(self) -> str:
        return self.day.isoformat()


class AsAtForm(forms.Form):
    as_at = forms.DateField(
        label="Show the data as at",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Give the date as YYYY-MM-DD, for example 2014-03-31."},
    )

    def clean_as_at(self):
        day = self.cleaned_data["as_at"]
        if day < datetime.date(2000, 1, 1):
            raise forms.ValidationError("ccgtrack holds no data from before 2000.")
        return day


def from_query(query: QueryDict) -> tuple[AsAt | None, AsAtForm]:
    """(AsAt or None, AsAtForm): None when ``query`` has no as_at; the form carries the error
    when it has a bad one."""
    if PARAM not in query:
        return None, AsAtForm()
    form = AsAtForm({PARAM: query.get(PARAM, "")})
    if not form.is_valid():
        return None, form
    return AsAt.of_day(form.cleaned_data[PARAM]), form


# --- The reconstruction ----------------------------------------------------------------------


def _standing(event_model, moment):
    """Q for the event rows that are the records as they stood at ``moment``: per record the
    latest event (by insertion order, which is the order the row was written in) recorded up
    to then, unless it is the record's deletion.

    The rows are picked once (one DISTINCT ON query) and the rest of the page refers to them by
    id, as one array parameter: a dashboard filters them some thirty times, and sorting the
    whole audit trail for each of those made it seven times slower (measured with the bench
    data: 5,000 deliverables, 50,000 events)."""
    latest = (
        event_model.objects.filter(pgh_created_at__lte=moment)
        .order_by("pgh_obj_id", "-pgh_id")
        .distinct("pgh_obj_id")
        .values_list("pgh_id", "pgh_label")
    )
    return Q(pgh_id__any_of=[pgh_id for pgh_id, label in latest if label != "delete"])


class AnyOf(Lookup):
    """``field = ANY(%s::integer[])`` with the whole list as one parameter, which PostgreSQL
    probes as a hash; ``__in`` would spell out every id, once per figure."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::integer[])", [*params, list(self.rhs)]


for _model in (DeliverableAsAt, RiskAsAt):
    _model._meta.get_field("pgh_id").register_lookup(AnyOf)


def standing_deliverables(as_at: AsAt) -> DeliverableAsAtQuerySet:
    """Every deliverable as it stood at ``as_at`` (a queryset of ``DeliverableAsAt``), archived
    ones too: ``current()`` leaves out those archived by then."""
    return DeliverableAsAt.objects.filter(_standing(DeliverableAsAt, as_at.moment))


def standing_risks(as_at: AsAt) -> RiskAsAtQuerySet:
    """Every risk as it stood at ``as_at`` (a queryset of ``RiskAsAt``), archived ones too:
    ``current()`` leaves out those archived by then."""
    return RiskAsAt.objects.filter(_standing(RiskAsAt, as_at.moment))


def deliverables(as_at: AsAt, *, user) -> DeliverableAsAtQuerySet:
    """The deliverables ``user`` may see, as they stood, ready for the list: theme, plan,
    organisation and owner joined, the domains (as they are now) prefetched, overdue judged on
    the as-at day."""
    return (
        standing_deliverables(as_at)
        .visible_to(user)
        .select_related("theme__plan__organisation", "owner")
        .prefetch_related("pgh_obj__domains")
        .with_overdue(as_at.day)
    )


def risks(as_at: AsAt, *, user, scheme=None) -> RiskAsAtQuerySet:
    """The risks ``user`` may see, as they stood, with ratings and bands (today's band edges)
    and review-overdue judged on the as-at day."""
    return (
        standing_risks(as_at)
        .visible_to(user)
        .with_ratings(scheme)
        .with_review_overdue(as_at.day)
        .select_related("organisation", "owner", "plan")
    )


def status_updates(
    as_at: AsAt, deliverables: QuerySet[DeliverableAsAt] | None = None
) -> StatusUpdateQuerySet:
    """The status history as it stood: the updates recorded up to the moment; with
    ``deliverables`` (standing rows), only theirs."""
    updates = StatusUpdate.objects.filter(created_at__lte=as_at.moment)
    if deliverables is not None:
        updates = updates.filter(deliverable_id__in=deliverables.values("id"))
    return updates


def records_began(organisations) -> datetime.datetime | None:
    """When ccgtrack's records of ``organisations`` (pks, or a subquery of them) begin: the
    first audit event of any of their deliverables or risks (for the seed, the moment it was
    loaded), or None if there is none. Before it there is nothing to show as at a day, and a
    page says so rather than showing zeros. One query."""
    first_deliverable = (
        DeliverableAsAt.objects.filter(theme__plan__organisation__in=organisations)
        .order_by("pgh_created_at")
        .values("pgh_created_at")[:1]
    )
    first_risk = (
        RiskAsAt.objects.filter(organisation__in=organisations)
        .order_by("pgh_created_at")
        .values("pgh_created_at")[:1]
    )
    d_sql, d_params = first_deliverable.query.sql_with_params()
    r_sql, r_params = first_risk.query.sql_with_params()
    with connection.cursor() as cursor:
        # LEAST skips a NULL: the first of either, or NULL when neither has a record.
        cursor.execute(f"SELECT LEAST(({d_sql}), ({r_sql}))", (*d_params, *r_params))
        (began,) = cursor.fetchone()
    return began


if TYPE_CHECKING:
    from apps.core.views import FilteredTableView as _ListViewBase
else:
    _ListViewBase = object


# --- Filters over the reconstructed rows -----------------------------------------------------


class AsAtFilterMixin(django_filters.FilterSet):
    """The as_at date travels with the filters (a hidden field), and the rules that depend on
    the day (overdue, due soon, stale, review overdue) are judged on it."""

    as_at = django_filters.DateFilter(method="keep", widget=forms.HiddenInput, input_formats=["%Y-%m-%d"])

    def keep(self, queryset, name, value):
        return queryset

    @property
    def as_at_value(self):
        day = self.form.cleaned_data.get(PARAM) if hasattr(self.form, "cleaned_data") else None
        return AsAt.of_day(day) if day else AsAt.of_day(timezone.localdate())


class DeliverableAsAtFilterSet(AsAtFilterMixin, DeliverableFilterSet):
    domain = django_filters.ModelChoiceFilter(
        field_name="pgh_obj__domains",
        queryset=AuthorisationDomain.objects.all(),
        label="Authorisation domain",
        empty_label="Any",
    )

    class Meta(DeliverableFilterSet.Meta):
        model = DeliverableAsAt
        fields: tuple[str, ...] = (*DeliverableFilterSet.Meta.fields, PARAM)

    def filter_overdue(self, queryset, name, value):
        q = overdue_q(self.as_at_value.day)
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_due_soon(self, queryset, name, value):
        q = due_soon_q(self.as_at_value.day)
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_stale(self, queryset, name, value):
        q = stale_q(self.as_at_value.moment)
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_delivered_month(self, queryset, name, value):
        delivered = status_updates(self.as_at_value).delivered_in_month(value.year, value.month)
        return queryset.filter(id__in=delivered.values("deliverable_id"))

    def filter_changed_after(self, queryset, name, value):
        changed = status_updates(self.as_at_value).status_changes().filter(created_at__gt=value)
        return queryset.filter(id__in=changed.values("deliverable_id"))


class RiskAsAtFilterSet(AsAtFilterMixin, RiskFilterSet):
    class Meta(RiskFilterSet.Meta):
        model = RiskAsAt
        fields: tuple[str, ...] = (*RiskFilterSet.Meta.fields, PARAM)

    def filter_review_overdue(self, queryset, name, value):
        q = review_overdue_q(self.as_at_value.day)
        return queryset.filter(q) if value else queryset.exclude(q)


# --- The list pages --------------------------------------------------------------------------


class AsAtListMixin(_ListViewBase):
    """For a ``FilteredTableView``: with ``?as_at=``, the rows as they stood that day (through
    ``as_at_rows``), the as-at filterset and table (no edit controls), a banner, and an export
    named for the day; a bad date answers 400 with the form's message and shows nothing else."""

    as_at_filterset_class: type | None = None
    as_at_table_class: type | None = None
    as_at_template_name = "reports/as_at_list.html"
    as_at_title = ""

    def as_at_rows(self, as_at):
        """The rows as they stood at ``as_at`` that this user may see: each list says which
        (DeliverableListView, RiskListView)."""
        raise NotImplementedError(f"{type(self).__name__} must say which rows it lists as at a date")

    def get(self, request, *args, **kwargs):
        self.as_at, self.as_at_form = from_query(request.GET)
        if PARAM in request.GET and self.as_at is None:
            context = {"as_at_form": self.as_at_form, "title": self.as_at_title, "path": request.path}
            return render(request, "reports/as_at_invalid.html", context, status=400)
        return super().get(request, *args, **kwargs)

    def get_filterset_kwargs(self, filterset_class):
        # The view's own get_queryset gives the live rows; as at a date the filters run on the
        # reconstructed ones instead.
        kwargs = super().get_filterset_kwargs(filterset_class)
        if self.as_at is not None:
            kwargs["queryset"] = self.as_at_rows(self.as_at)
        return kwargs

    def get_filterset_class(self):
        return self.as_at_filterset_class if self.as_at else super().get_filterset_class()

    def get_table_class(self):
        return self.as_at_table_class if self.as_at else super().get_table_class()

    def get_table_kwargs(self):
        return {} if self.as_at else super().get_table_kwargs()

    def get_template_names(self):
        names = super().get_template_names()
        if self.as_at and names != [self.partial_template_name]:
            return [self.as_at_template_name]
        return names

    def get_export_columns(self, table_class):
        # The rows are audit events: the columns read the record's own id and the as-at day.
        if self.as_at:
            return table_class.as_at_export_columns(self.as_at)
        return super().get_export_columns(table_class)

    def export_about(self, table):
        about = super().export_about(table)
        if self.as_at:
            return replace(about, title=f"{about.title} as at {self.as_at.day:%d/%m/%Y}")
        return about

    def get_export_filename(self, export_format):
        if self.as_at:
            return f"{self.export_name}-as-at-{self.as_at.param}.{export_format}"
        return super().get_export_filename(export_format)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(as_at=self.as_at, as_at_form=self.as_at_form, as_at_title=self.as_at_title)
        if self.as_at is not None:
            # A day before anything the user may see was recorded: the page says so in words.
            from apps.organisations.permissions import visible_organisations

            began = records_began(visible_organisations(self.request.user).values("pk"))
            context["records_began"] = began
            context["before_records"] = began is None or self.as_at.moment < began
        return context
