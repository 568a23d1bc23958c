"""Shared model bits only."""

from django.db import models


class TimeStampedModel(models.Model):
    """Adds created_at / updated_at to a model."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class NaturalKeyManager(models.Manager):
    """Looks rows up by the one unique field their natural key is made of (for fixtures)."""

    def __init__(self, field):
        super().__init__()
        self.key_field = field

    def get_by_natural_key(self, value):
        return self.get(**{self.key_field: value})
