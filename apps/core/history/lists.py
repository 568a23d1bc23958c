"""The base of the lists that show their rows as at a date (``?as_at=YYYY-MM-DD``): the
deliverables list and the risk register. ``AsAtListMixin`` turns a ``FilteredTableView`` into one
(the reconstructed rows, the as-at filterset and table, the banner, the export named for the day;
a bad date answers 400); ``AsAtFilterMixin`` carries the date with the filters. The rows
themselves come from ``apps.core.history.as_at``."""

from dataclasses import replace
from typing import TYPE_CHECKING

import django_filters
from django import forms
from django.shortcuts import render
from django.utils import timezone

from .as_at import PARAM, AsAt, from_query, records_began

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


# --- The list pages --------------------------------------------------------------------------


class AsAtListMixin(_ListViewBase):
    """For a ``FilteredTableView``: with ``?as_at=``, the rows as they stood that day (through
    ``as_at_rows``), the as-at filterset and table (no edit controls), a banner, and an export
    named for the day; a bad date answers 400 with the form's message and shows nothing else."""

    as_at_filterset_class: type | None = None
    as_at_table_class: type | None = None
    as_at_template_name = "history/as_at_list.html"
    as_at_title = ""

    def as_at_rows(self, as_at):
        """The rows as they stood at ``as_at`` that this user may see: each list says which
        (DeliverableListView, RiskListView)."""
        raise NotImplementedError(f"{type(self).__name__} must say which rows it lists as at a date")

    def as_at_organisations(self):
        """The organisations (pks, or a subquery of them) whose records this user may see: a day
        before the first of their records is said to be so."""
        raise NotImplementedError(f"{type(self).__name__} must say whose records its user may see")

    def get(self, request, *args, **kwargs):
        self.as_at, self.as_at_form = from_query(request.GET)
        if PARAM in request.GET and self.as_at is None:
            context = {"as_at_form": self.as_at_form, "title": self.as_at_title, "path": request.path}
            return render(request, "history/as_at_invalid.html", context, status=400)
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
            began = records_began(self.as_at_organisations())
            context["records_began"] = began
            context["before_records"] = began is None or self.as_at.moment < began
        return context
