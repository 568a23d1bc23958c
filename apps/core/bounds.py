"""Bounds on what people type: how long a text and how far off a date may be.

Each bound is held twice: by the form field (``max_length`` and the validators, so the person
typing gets a clear message beside the field) and by PostgreSQL (a CheckConstraint in the
model's Meta, so no other path, an import, raw SQL or a bulk ``update()``, can store more).
Limits are set by what a board paper needs; the longest seed values are far below them:

- notes (a progress note, a review note): 2,000 characters;
- short texts (a deliverable's title, a risk's description, an objective): 2,000;
- narratives drawn into the board report, one per row (delivered, in progress, comments,
  mitigation, each cover sheet row): 5,000, about 800 words; the PDF of a report grows with
  them (WeasyPrint takes about 0.1 s more per 1,000 characters);
- a plan's own texts (vision, summary, values, a theme's description): 20,000.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.functional import cached_property

NOTE_MAX_LENGTH = 2_000
TEXT_MAX_LENGTH = 2_000
NARRATIVE_MAX_LENGTH = 5_000
DOCUMENT_MAX_LENGTH = 20_000

# Deadlines, review dates and meeting dates: anything outside is a typing slip (0202, 20204).
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
DATE_VALIDATORS = [
    MinValueValidator(EARLIEST_DATE, message="Give a date from 2000 to 2100."),
    MaxValueValidator(LATEST_DATE, message="Give a date from 2000 to 2100."),
]


class BoundedTextField(models.TextField):
    """A TextField of at most ``max_length`` characters: the form field (``maxlength`` and a
    message) and ``full_clean`` (MaxLengthValidator) say so beside the field. The model's
    ``length_checks`` constraint makes PostgreSQL hold it too."""

    def __init__(self, *args: Any, max_length: int, **kwargs: Any) -> None:
        kwargs["max_length"] = max_length  # required here; TextField takes it as optional
        super().__init__(*args, **kwargs)

    @cached_property
    def validators(self) -> list[Callable[[Any], None]]:
        return [*super().validators, MaxLengthValidator(self.max_length)]


class BoundedDateField(models.DateField):
    """A DateField from EARLIEST_DATE to LATEST_DATE: a message beside the field in forms and
    ``full_clean``, and the ``date_range_check`` constraint in PostgreSQL."""

    default_validators: list[Callable[[Any], None]] = list(DATE_VALIDATORS)

    def formfield(self, **kwargs):
        field = super().formfield(**kwargs)
        assert field is not None  # a DateField always has a form field
        field.validators.extend(DATE_VALIDATORS)  # forms here leave model validation to the service
        field.widget.attrs.setdefault("min", EARLIEST_DATE.isoformat())
        field.widget.attrs.setdefault("max", LATEST_DATE.isoformat())
        return field


def length_checks(prefix, **limits):
    """One CheckConstraint ``char_length(field) <= limit`` per BoundedTextField, named
    ``<prefix>_<field>_max_length`` (the limits are the fields' ``max_length``; a test checks that
    every bounded field has its constraint)."""
    return [
        models.CheckConstraint(
            condition=LessThanOrEqual(Length(name), limit),
            name=f"{prefix}_{name}_max_length",
            violation_error_message=f"Keep {name.replace('_', ' ')} to {limit:,} characters.",
        )
        for name, limit in limits.items()
    ]


def date_range_check(prefix, name):
    """A CheckConstraint keeping a date field (blank or not) within EARLIEST_DATE..LATEST_DATE."""
    return models.CheckConstraint(
        condition=Q(**{f"{name}__isnull": True})
        | Q(**{f"{name}__gte": EARLIEST_DATE, f"{name}__lte": LATEST_DATE}),
        name=f"{prefix}_{name}_in_range",
        violation_error_message="Give a date from 2000 to 2100.",
    )
