import django_filters
from django.forms.models import ModelChoiceIterator
from django_filters.widgets import BooleanWidget, DateRangeWidget

from apps.core.freshness import cached, query_key


class AnyYesNoWidget(BooleanWidget):
    """A yes/no filter whose empty choice reads 'Any' (django-filter's says 'Unknown')."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", "Any"), ("true", "Yes"), ("false", "No"))


def _person(user):
    return user.get_full_name() or user.get_username()


class CachedChoiceIterator(ModelChoiceIterator):
    """A choice field's options read once and cached until the data changes
    (apps/core/freshness.py): the organisations, plans and owners of a list's filters (at
    national scale, 213, 213 and 211 of them) are not read again for every page shown."""

    def _rows(self):
        queryset = self.queryset
        return cached("choices", query_key(queryset), lambda: list(queryset))

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self._rows():
            yield self.choice(obj)

    def __len__(self):
        return len(self._rows()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self._rows())


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filter's ModelChoiceFilter, its options cached (CachedChoiceIterator). A value
    given is still checked against the database by the field, as always."""

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
