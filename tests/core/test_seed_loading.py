import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse
from pghistory.models import Events

from apps.core.seed import SeedError, load_seed, seed_files
from apps.organisations.models import Organisation
from apps.plans import services
from apps.plans.models import Deliverable, StatusUpdate

pytestmark = pytest.mark.django_db


def _row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"organisations", "plans", "risks", "reports"}
        and not model._meta.label.endswith("Event")
    }


def _identities(model, record):
    """How a fixture record can be referred to: its pk, and its natural key if the model has one."""
    found = {record.get("pk")}
    key_field = "slug" if model is Organisation else getattr(model, "natural_key_field", None)
    if key_field and key_field in record["fields"]:
        found.add((record["fields"][key_field],))
    return found


def test_every_fixture_comes_after_the_fixtures_it_refers_to():
    """A record's foreign keys point at records of the same file or an earlier one, so the files
    load in order one by one (as the README says)."""
    known = {}
    for path in seed_files():
        records = json.loads(path.read_text(encoding="utf-8"))
        for record in records:
            model = apps.get_model(record["model"])
            known.setdefault(model, set()).update(_identities(model, record))
        for record in records:
            model = apps.get_model(record["model"])
            for name, value in record["fields"].items():
                field = model._meta.get_field(name)
                if (
                    not field.is_relation
                    or value in (None, [])
                    or field.related_model._meta.app_label == "auth"
                ):
                    continue
                targets = value if field.many_to_many else [value]
                for target in targets:
                    target = tuple(target) if isinstance(target, list) else target
                    assert target in known.get(field.related_model, set()), (
                        f"{path.name}: {record['model']} {record.get('pk')} {name}={value!r} refers to "
                        f"a {field.related_model._meta.label} that no earlier fixture defines"
                    )


def test_loading_the_seed_again_changes_nothing(capsys):
    before = _row_counts()
    call_command("load_seed")
    call_command("load_seed")
    assert _row_counts() == before
    assert "0 added" in capsys.readouterr().out


def test_a_broken_fixture_leaves_the_database_unchanged_and_names_file_and_record(tmp_path):
    good = tmp_path / "01_good.json"
    good.write_text(
        json.dumps(
            [
                {
                    "model": "organisations.organisation",
                    "fields": {
                        "kind": "lat",
                        "name": "A new LAT",
                        "slug": "a-new-lat",
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
    assert not Organisation.objects.filter(slug="a-new-lat").exists()  # the good file is rolled back too


def test_the_command_reports_a_broken_fixture_as_an_error(tmp_path, monkeypatch):
    broken = tmp_path / "01_broken.json"
    broken.write_text("[{not json")
    monkeypatch.setattr("apps.core.seed.FIXTURES_DIR", tmp_path)
    monkeypatch.setattr("apps.core.seed.seed_files", lambda directory=tmp_path: [broken])
    with pytest.raises(CommandError, match="01_broken.json"):
        call_command("load_seed")


def _dorset_deliverable():
    return Deliverable.objects.filter(
        theme__plan__organisation__slug="nhs-dorset-ccg", status="in_progress"
    ).first()


@pytest.mark.owner_role  # `make run` migrates as the owner (apps/core/dbroles.py)
def test_a_restart_never_undoes_a_status_change(client, staff_dorset, settings):
    """A staff member's change survives the `make run` start sequence (migrate, load_seed,
    create_demo_accounts), and the record, its history and the dashboard still agree."""
    deliverable = _dorset_deliverable()
    services.deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=staff_dorset,
        expected_version=deliverable.version,
        changes={"status": "delivered", "delivered_narrative": "Signed off."},
        note="Signed off at the Executive.",
    )
    events_before = Events.objects.tracks(deliverable).count()
    settings.DEBUG = True
    call_command("migrate", verbosity=0)
    call_command("load_seed")
    call_command("create_demo_accounts")
    call_command("load_seed")

    deliverable.refresh_from_db()
    assert (deliverable.status, deliverable.delivered_narrative) == ("delivered", "Signed off.")
    assert Events.objects.tracks(deliverable).count() == events_before  # no "system" revert
    update = StatusUpdate.objects.get(deliverable=deliverable)
    assert (update.to_status, update.created_by) == ("delivered", staff_dorset)
    client.force_login(staff_dorset)
    page = client.get(reverse("dashboards:organisation", args=["nhs-dorset-ccg"])).content.decode()
    assert (
        f'href="{deliverable.get_absolute_url()}"' in page.split('id="latest-updates"')[1].split("</ul>")[0]
    )
    delivered = Deliverable.objects.filter(
        theme__plan__organisation__slug="nhs-dorset-ccg", status="delivered"
    )
    n = delivered.count()
    assert f'data-status="delivered" data-count="{n}">{n}<' in page


def test_missing_seed_records_are_added_and_existing_ones_kept(tmp_path):
    wessex = Organisation.objects.get(slug="wessex")
    wessex.population_thousands = 9999
    wessex.save()
    extra = tmp_path / "09_extra.json"
    extra.write_text(
        json.dumps(
            [
                {
                    "model": "organisations.organisation",
                    "fields": {"kind": "lat", "name": "Wessex", "slug": "wessex", "population_thousands": 1},
                },
                {
                    "model": "organisations.organisation",
                    "fields": {
                        "kind": "lat",
                        "name": "New LAT",
                        "slug": "new-lat",
                        "parent": ["south-of-england"],
                        "created_at": "2026-01-01T00:00:00Z",
                        "updated_at": "2026-01-01T00:00:00Z",
                    },
                },
            ]
        )
    )
    result = load_seed(files=[*seed_files(), extra])
    assert result.added == 1 and result.overwritten == 0
    wessex.refresh_from_db()
    assert wessex.population_thousands == 9999
    assert Organisation.objects.get(slug="new-lat").parent.slug == "south-of-england"
    assert load_seed(files=[*seed_files(), extra]).added == 0


@pytest.fixture
def delivered_by_staff(staff_dorset):
    """A seed deliverable that a staff member has marked delivered."""
    deliverable = _dorset_deliverable()
    services.deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=staff_dorset,
        expected_version=deliverable.version,
        changes={"status": "delivered"},
        note="Done.",
    )
    return deliverable


def test_reset_is_refused_on_a_production_database(delivered_by_staff, settings):
    deliverable = delivered_by_staff
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development database"):
        call_command("load_seed", "--reset")
    deliverable.refresh_from_db()
    assert deliverable.status == "delivered"


@pytest.mark.owner_role  # --reset is the owner's act (apps/core/dbroles.py)
def test_reset_says_what_it_does_and_the_audit_trail_records_it(delivered_by_staff, settings, capsys):
    deliverable = delivered_by_staff
    settings.DEBUG = True
    call_command("load_seed", "--reset")
    out = capsys.readouterr().out
    assert "will be overwritten" in out and "overwritten." in out
    deliverable.refresh_from_db()
    assert deliverable.status == "in_progress"
    last = Events.objects.tracks(deliverable).order_by("-pgh_id").first()
    assert last.pgh_context["via"] == "load_seed --reset"


def test_a_restart_never_brings_back_what_people_deleted():
    """load_seed runs on every `make run`: a seed objective and a support-team role deleted in
    the admin stay deleted (issue 25.4); the load says how many it left out."""
    from apps.organisations.models import SupportTeamRole
    from apps.plans.models import Objective

    objective = Objective.objects.order_by("pk").first()
    role = SupportTeamRole.objects.order_by("pk").first()
    objective.delete()
    role.delete()
    result = load_seed()
    assert result.added == 0 and result.gone == 2
    assert not Objective.objects.filter(pk=objective.pk).exists()
    assert not SupportTeamRole.objects.filter(pk=role.pk).exists()


def test_a_database_seeded_before_seed_records_adds_nothing_it_lacks():
    """A database seeded by an earlier release (nothing remembered yet) is taken as having held
    every seed record: what it lacks, people deleted."""
    from apps.core.models import SeedRecord
    from apps.plans.models import Objective

    SeedRecord.objects.all().delete()
    objective = Objective.objects.order_by("pk").first()
    objective.delete()
    result = load_seed()
    assert result.added == 0 and result.gone == 1
    assert SeedRecord.objects.filter(model="plans.Objective").exists()
    assert load_seed().added == 0
