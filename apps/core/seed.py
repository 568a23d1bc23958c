"""The seed data: which fixture files make it up, in load order, and how to load them.

Loading never overwrites: a seed record that is already in the database (by primary key or
natural key) is left exactly as people have kept it, and only missing records are added, so
``make run`` can load the seed on every start. A record is added once: the database remembers
every seed record it has held (``SeedRecord``), so one that people deleted since is not brought
back by the next start. (A database seeded before ``SeedRecord`` existed is taken as having
held every seed record: its first load adds nothing it lacks.) Overwriting is a separate,
explicit act (``reset=True``, ``load_seed --reset``) for development databases only; it adds
back what was deleted too."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import pghistory
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, transaction

from apps.core.models import SeedRecord

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


class SeedError(Exception):
    """A fixture could not be loaded; nothing from the seed was kept."""


@dataclass
class SeedResult:
    """What a load did: the files read, records added, and records left (or, with reset,
    overwritten) as they were in the database."""

    files: list[Path]
    added: int = 0
    kept: int = 0
    overwritten: int = 0
    gone: int = 0  # deleted by people since it was loaded: not added again
    models: set = field(default_factory=set)


def seed_files(directory: Path = FIXTURES_DIR) -> list[Path]:
    """Every JSON fixture in ``fixtures/``, in file-name order (the order the README gives)."""
    return sorted(directory.glob("[0-9][0-9]_*.json"))


def _exists(instance) -> bool:
    return instance.pk is not None and type(instance)._default_manager.filter(pk=instance.pk).exists()


def seed_key(instance) -> str:
    """How a seed record is remembered: its natural key where the model has one, else its pk."""
    if hasattr(instance, "natural_key"):
        try:
            return json.dumps(list(instance.natural_key()), default=str)
        except Exception:  # noqa: BLE001 - a natural key that needs a missing relation
            pass
    return json.dumps(instance.pk, default=str)


def _first_record_exists(path: Path) -> bool:
    with path.open(encoding="utf-8") as stream:
        for record in serializers.deserialize("json", stream, handle_forward_references=True):
            return _exists(record.object)
    return False


@transaction.atomic
def load_seed(*, files=None, reset=False) -> SeedResult:
    """Load the seed fixtures in one transaction: add the records that are missing and were
    never loaded before, and leave every existing one alone. With ``reset``, write the fixture
    values over existing records and add back deleted ones (the audit trail records each
    overwrite as done by ``load_seed --reset``)."""
    files = list(files or seed_files())
    if not files:
        raise SeedError(f"No fixtures found in {FIXTURES_DIR}.")
    result = SeedResult(files=files)
    deferred = []
    remembered = set(SeedRecord.objects.values_list("model", "key"))
    # A database seeded before SeedRecord existed (nothing remembered, but the seed's first
    # record is there) is taken as having held every seed record: what it lacks was deleted.
    adopting = not remembered and _first_record_exists(files[0])
    new_keys = []
    with pghistory.context(via="load_seed --reset" if reset else "load_seed"):
        for path in files:
            try:
                with path.open(encoding="utf-8") as stream:
                    for record in serializers.deserialize("json", stream, handle_forward_references=True):
                        instance = record.object
                        result.models.add(type(instance))
                        key = (instance._meta.label, seed_key(instance))
                        loaded_before = adopting or key in remembered
                        if key not in remembered:
                            new_keys.append(key)
                            remembered.add(key)
                        if _exists(instance):
                            if not reset:
                                result.kept += 1
                                continue
                            result.overwritten += 1
                        elif loaded_before and not reset:
                            result.gone += 1  # people deleted it: it stays gone
                            continue
                        else:
                            result.added += 1
                        record.save()
                        if record.deferred_fields:
                            deferred.append((path, record))
            except Exception as exc:  # any failure: name the file, roll everything back
                raise SeedError(f"{path.name}: {exc}") from exc
        for path, record in deferred:
            try:
                record.save_deferred_fields()
            except Exception as exc:
                references = ", ".join(f"{f.name}={value!r}" for f, value in record.deferred_fields.items())
                raise SeedError(
                    f"{path.name}: {record.object._meta.label} {record.object}: "
                    f"cannot resolve {references} ({exc})"
                ) from exc
    SeedRecord.objects.bulk_create(
        [SeedRecord(model=model, key=key) for model, key in new_keys], ignore_conflicts=True, batch_size=1000
    )
    if result.added or result.overwritten:
        # Fixtures carry their primary keys: move the sequences past them, as loaddata does.
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(result.models)):
                cursor.execute(statement)
    return result
