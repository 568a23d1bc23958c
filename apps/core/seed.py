"""The seed data: which fixture files make it up, in load order, and how to load them.

Loading never overwrites: a seed record that is already in the database (by primary key or
natural key) is left exactly as people have kept it, and only missing records are added, so
``make run`` can load the seed on every start. Overwriting is a separate, explicit act
(``reset=True``, ``load_seed --reset``) for development databases only."""

from dataclasses import dataclass, field
from pathlib import Path

import pghistory
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, transaction

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
    models: set = field(default_factory=set)


def seed_files(directory: Path = FIXTURES_DIR) -> list[Path]:
    """Every JSON fixture in ``fixtures/``, in file-name order (the order the README gives)."""
    return sorted(directory.glob("[0-9][0-9]_*.json"))


def _exists(instance) -> bool:
    return instance.pk is not None and type(instance)._default_manager.filter(pk=instance.pk).exists()


@transaction.atomic
def load_seed(*, files=None, reset=False) -> SeedResult:
    """Load the seed fixtures in one transaction: add the records that are missing and leave
    every existing one alone. With ``reset``, write the fixture values over existing records
    too (the audit trail records each overwrite as done by ``load_seed --reset``)."""
    files = list(files or seed_files())
    if not files:
        raise SeedError(f"No fixtures found in {FIXTURES_DIR}.")
    result = SeedResult(files=files)
    deferred = []
    with pghistory.context(via="load_seed --reset" if reset else "load_seed"):
        for path in files:
            try:
                with path.open(encoding="utf-8") as stream:
                    for record in serializers.deserialize("json", stream, handle_forward_references=True):
                        result.models.add(type(record.object))
                        if _exists(record.object):
                            if not reset:
                                result.kept += 1
                                continue
                            result.overwritten += 1
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
    if result.added or result.overwritten:
        # Fixtures carry their primary keys: move the sequences past them, as loaddata does.
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(result.models)):
                cursor.execute(statement)
    return result
