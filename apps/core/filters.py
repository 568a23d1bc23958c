import django_filters
from django_filters.widgets import BooleanWidget, DateRangeWidget


class AnyYesNoWidget(BooleanWidget):
    """A yes/no filter whose empty choice reads 'Any' (django-filter's says 'Unknown')."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", "Any"), ("true", "Yes"), ("false", "No"))


def _person(user):
    return user.get_full_name() or user.get_username()


class PersonChoiceFilter(django_filters.ModelChoiceFilter):
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
