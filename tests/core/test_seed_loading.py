import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from apps.core.seed import SeedError, load_seed, seed_files
from apps.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def _row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"organisations", "plans", "risks", "reports"}
        and not model._meta.label.endswith("Event")
    }


def test_seed_files_are_found_in_order():
    names = [path.name for path in seed_files()]
    assert names == sorted(names)
    assert names[0] == "01_reference.json"
    assert "02_organisations.json" in names


def test_loading_the_seed_twice_changes_nothing(capsys):
    before = _row_counts()
    call_command("load_seed")
    call_command("load_seed")
    assert _row_counts() == before
    assert "Loaded" in capsys.readouterr().out


def test_a_broken_fixture_leaves_the_database_unchanged_and_names_file_and_record(tmp_path):
    wessex = Organisation.objects.get(slug="wessex")
    good = tmp_path / "01_good.json"
    good.write_text(
        json.dumps(
            [
                {
                    "model": "organisations.organisation",
                    "fields": {
                        "kind": "lat",
                        "name": "Wessex",
                        "slug": "wessex",
                        "population_thousands": 1,
                        "created_at": "2026-01-01T00:00:00Z",
                        "updated_at": "2026-01-01T00:00:00Z",
                    },
                },
            ]
        )
    )
    broken = tmp_path / "02_broken.json"
    broken.write_text(
        json.dumps(
            [
                {
                    "model": "organisations.organisation",
                    "fields": {
                        "kind": "ccg",
                        "name": "Orphan CCG",
                        "slug": "orphan-ccg",
                        "parent": ["no-such-parent"],
                        "created_at": "2026-01-01T00:00:00Z",
                        "updated_at": "2026-01-01T00:00:00Z",
                    },
                },
            ]
        )
    )
    before = _row_counts()
    with pytest.raises(SeedError) as excinfo:
        load_seed(files=[good, broken])
    message = str(excinfo.value)
    assert "02_broken.json" in message
    assert "organisations.organisation" in message and "no-such-parent" in message
    assert _row_counts() == before
    wessex.refresh_from_db()
    assert wessex.population_thousands == 2550  # the good file's change was rolled back too


def test_the_command_reports_a_broken_fixture_as_an_error(tmp_path, monkeypatch):
    broken = tmp_path / "01_broken.json"
    broken.write_text("[{not json")
    monkeypatch.setattr("apps.core.seed.FIXTURES_DIR", tmp_path)
    monkeypatch.setattr("apps.core.seed.seed_files", lambda directory=tmp_path: [broken])
    with pytest.raises(CommandError, match="01_broken.json"):
        call_command("load_seed")
