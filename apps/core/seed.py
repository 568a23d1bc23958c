"""The seed data: which fixture files make it up, in load order, and how to load them."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import transaction

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


class SeedError(Exception):
    """A fixture could not be loaded; nothing from the seed was kept."""


def seed_files(directory: Path = FIXTURES_DIR) -> list[Path]:
    """Every JSON fixture in ``fixtures/``, in file-name order (the order the README gives)."""
    return sorted(directory.glob("[0-9][0-9]_*.json"))


@transaction.atomic
def load_seed(*, files=None, verbosity=0):
    """Load all seed fixtures in one transaction. Re-running updates rows in place (every
    record carries its primary key or natural key), so a second run changes nothing."""
    files = list(files or seed_files())
    if not files:
        raise SeedError(f"No fixtures found in {FIXTURES_DIR}.")
    for path in files:
        try:
            call_command("loaddata", str(path), verbosity=verbosity)
        except Exception as exc:  # any failure: name the file, roll everything back
            raise SeedError(f"{path.name}: {exc}") from exc
    return files
