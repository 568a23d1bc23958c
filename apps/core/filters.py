import copy
import datetime
from collections.abc import Iterable, Iterator
from html import escape
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.datastructures import MultiValueDict
from django.utils.safestring import SafeData, mark_safe
from django_filters.fields import IsoDateTimeField
from django_filters.widgets import BooleanWidget, DateRangeWidget

from apps.core.freshness import cached, query_key


class AnyYesNoWidget(BooleanWidget):
    """A yes/no filter whose empty choice reads 'Any' (django-filter's says 'Unknown')."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", "Any"), ("true", "Yes"), ("false", "No"))


def _person(user):
    return user.get_full_name() or user.get_username()


class MomentField(IsoDateTimeField):
    """An ISO 8601 date and time, turned into UTC: PostgreSQL refuses an offset past 15:59 (a
    time written "-18:22" was a 500), and a moment past the calendar's ends is the field's
    error, not the database's."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return value.astimezone(datetime.UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class MomentFilter(django_filters.IsoDateTimeFilter):
    """A filter on a moment (``MomentField``)."""

    field_class = MomentField


class CachedChoiceIterator(ModelChoiceIterator):
    """A choice field's options read once and cached until the data changes
    (apps/core/freshness.py), as (value, label) pairs: the organisations, plans and owners of a
    list's filters (213, 213 and 211 at national scale) are not read from the database, nor
    made into model instances, for every page shown. A value sent is still checked by the
    field against its queryset."""

    def _pairs(self):
        field = self.field
        if "_cached_pairs" not in field.__dict__:
            queryset, label = self.queryset, field.label_from_instance
            field.__dict__["_cached_pairs"] = cached(
                "choices",
                (query_key(queryset), getattr(label, "__qualname__", "")),
                lambda: [(str(field.prepare_value(obj)), str(label(obj))) for obj in queryset],
            )
        return field.__dict__["_cached_pairs"]

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self._pairs()

    def __len__(self):
        return len(self._pairs()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self._pairs())


class QuickSelect(forms.Select):
    """Django's select, the same options, written in Python: Django's template includes a
    template per option, which for the lists' filters (213 organisations, 213 plans and 211
    owners at national scale) cost more than the rest of the page. Grouped options are left to
    Django."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        selected = set(self.format_value(value))
        parts = [f"<select{flatatt({'name': name, **self.build_attrs(self.attrs, attrs)})}>"]
        chosen = False
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            is_selected = text in selected and not chosen
            chosen = chosen or is_selected
            shown = label if isinstance(label, SafeData) else escape(str(label))
            parts.append(
                f'<option value="{escape(text)}"{" selected" if is_selected else ""}>{shown}</option>'
            )
        parts.append("</select>")
        return mark_safe("".join(parts))


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filter's ModelChoiceFilter, its options cached (CachedChoiceIterator) and written
    quickly (QuickSelect). A value given is still checked against the database by the field."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", QuickSelect)
        super().__init__(*args, **kwargs)

    @property
    def field(self):
        field = super().field
        if field.iterator is not CachedChoiceIterator:
            field.iterator = CachedChoiceIterator
            field.widget.choices = field.choices  # the widget took the field's first iterator
        return field


class PersonChoiceFilter(ModelChoiceFilter):
    """A choice of people, listed by name (the username only where no name is recorded)."""

    @property
    def field(self):
        field = super().field
        field.label_from_instance = _person
        return field


class LabelledDateRangeWidget(DateRangeWidget):
    """Two date inputs, each with its own visible label ("From", "To"); the filter form puts
    them in a fieldset whose legend is the filter's label (a MultiWidget uses a fieldset)."""

    template_name = "core/widgets/labelled_range.html"
    part_labels = ("From", "To")

    def __init__(self, attrs=None):
        super().__init__(attrs={"type": "date", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, label in zip(context["widget"]["subwidgets"], self.part_labels, strict=True):
            subwidget["part_label"] = label
        return context


def bound_filtersets(
    filterset_class: type[django_filters.FilterSet], datas: Iterable[Any], *, queryset: Any, request: Any
) -> Iterator[django_filters.FilterSet]:
    """A filterset of ``filterset_class`` bound to each of ``datas`` (QueryDicts), over
    ``queryset``, all sharing one set of filters and one form class: a dashboard counts two dozen
    figures through its lists' own filtersets, and building every filterset's fields again (the
    choice fields' querysets over the organisations the viewer may read) was most of a staff
    member's dashboard (1.4 s at national scale). Each is validated and filters as the list's own
    does: the fields are the same, only built once."""
    first = filterset_class(None, queryset=queryset, request=request)
    # One form's fields, shared: a form copies its fields deeply, and a choice field's copy
    # clones its queryset (the organisations a member may read: a tree of subqueries), which was
    # most of the figures' time. These forms only validate, and validating changes no field.
    template = first.get_form_class()(None, prefix=first.form_prefix)
    datas = list(datas)
    for name, field in template.fields.items():
        one_row = not isinstance(field, forms.ModelMultipleChoiceField)
        if one_row and isinstance(field, forms.ModelChoiceField):
            _look_up_together(field, [data.get(template.add_prefix(name)) for data in datas])
    for data in datas:
        filterset = copy.copy(first)  # shares ``filters``; the form and the rows are its own
        filterset.is_bound = True
        filterset.data = data
        for cached_attribute in ("_form", "_qs"):
            filterset.__dict__.pop(cached_attribute, None)
        form = copy.copy(template)
        form.is_bound, form.data, form.files = True, data, MultiValueDict()
        form._errors, form._bound_fields_cache = None, {}
        filterset._form = form
        yield filterset


def _look_up_together(field: forms.ModelChoiceField, values: list[Any]) -> None:
    """Let ``field`` (a template form's, shared by the figures' forms) find the rows that
    ``values`` name in one query, where it would make one per figure: a dashboard's six domain
    figures each looked up their domain. A value not found so is looked up and refused by the
    field itself, as before; the rows are read by the field's own queryset."""
    wanted = {str(value) for value in values if value not in field.empty_values}
    if len(wanted) < 2 or field.queryset is None:
        return
    key = field.to_field_name or "pk"
    try:
        found = {str(getattr(row, key)): row for row in field.queryset.filter(**{f"{key}__in": wanted})}
    except (ValueError, TypeError, ValidationError):  # a value of the wrong type: each is refused alone
        return
    look_up = field.to_python

    def to_python(value: Any) -> Any:
        row = found.get(value) if isinstance(value, str) else None
        return row if row is not None else look_up(value)

    field.to_python = to_python  # type: ignore[method-assign]
