"""Shared model bits only."""

from typing import Any

from django.db import models


class TimeStampedModel(models.Model):
    """Adds created_at / updated_at to a model."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class NaturalKeyManager(models.Manager[Any]):
    """Looks rows up by the one unique field named in the model's ``natural_key_field``
    (fixtures refer to them by that value instead of a primary key)."""

    def get_by_natural_key(self, value):
        return self.get(**{self.model.natural_key_field: value})
