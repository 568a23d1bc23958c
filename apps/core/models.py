"""Shared model bits only."""

from typing import Any

from django.db import models
from django.db.models import BooleanField, Case, Q, Value, When


class TimeStampedModel(models.Model):
    """Adds created_at / updated_at to a model."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SeedRecord(models.Model):
    """A record ``load_seed`` has added (or found, the first time it ran), so that it adds each
    seed record once: what people delete or archive afterwards stays gone, whatever restarts.
    ``model`` is the model's label, ``key`` its primary key or natural key (JSON). The demo
    accounts of ``make run`` are remembered the same way (model ``demo``)."""

    model = models.CharField(max_length=100)
    key = models.CharField(max_length=300)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "key"], name="seed_record_once")]

    def __str__(self):
        return f"{self.model} {self.key}"


class NaturalKeyManager(models.Manager[Any]):
    """Looks rows up by the one unique field named in the model's ``natural_key_field``
    (fixtures refer to them by that value instead of a primary key)."""

    def get_by_natural_key(self, value):
        return self.get(**{self.model.natural_key_field: value})


def flag(q: Q) -> Case:
    """``q`` as an annotation that is True or False, never NULL (a comparison with an empty date
    is NULL in SQL): the "My work" and reminder selectors' overdue, due-soon and stale flags."""
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())
