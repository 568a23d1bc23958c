"""manage.py import_plan: the import page's rules from the command line."""

import pytest
from django.core.management import CommandError, call_command

from apps.plans import imports as im
from apps.plans.models import Deliverable, ODPlan, StatusUpdate
from tests.plans.import_files import column, plan_rows, to_csv, to_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(darlington):
    return ODPlan.objects.get(organisation=darlington)


def _file(tmp_path, rows, name="plan.xlsx"):
    path = tmp_path / name
    path.write_bytes(to_xlsx(rows) if name.endswith(".xlsx") else to_csv(rows))
    return str(path)


def _changed(plan, reference="2.2", status="Delivered"):
    rows = plan_rows(plan)
    next(r for r in rows[1:] if r[column(rows, im.REFERENCE)] == reference)[column(rows, im.STATUS)] = status
    return rows


def _run(*args):
    import io

    out = io.StringIO()
    call_command("import_plan", *args, stdout=out)
    return out.getvalue()


def test_dry_run_prints_the_preview_and_saves_nothing(tmp_path, plan, admin_user):
    path = _file(tmp_path, _changed(plan))
    out = _run(
        path, "--organisation", "nhs-darlington-ccg", "--plan", str(plan.pk), "--user", "t.admin", "--dry-run"
    )
    assert "plan.xlsx: 0 to add, 1 to change, 40 unchanged, 0 errors." in out
    assert "Status: Not started -> Delivered" in out and "Dry run: nothing was saved." in out
    assert not StatusUpdate.objects.exists()


def test_an_import_goes_through_the_services_under_the_given_user(tmp_path, plan, admin_user):
    path = _file(tmp_path, _changed(plan))
    out = _run(path, "--organisation", "nhs-darlington-ccg", "--plan", str(plan.pk), "--user", "t.admin")
    assert f"Imported into plan {plan.pk}" in out
    update = StatusUpdate.objects.get()
    assert (update.created_by, update.note, update.to_status) == (
        admin_user,
        "Imported from plan.xlsx",
        "delivered",
    )
    out = _run(path, "--organisation", "nhs-darlington-ccg", "--plan", str(plan.pk), "--user", "t.admin")
    assert "0 to add, 0 to change, 41 unchanged" in out and StatusUpdate.objects.count() == 1


def test_a_new_plan_from_the_command(tmp_path, plan, staff_darlington):
    path = _file(tmp_path, plan_rows(plan), "Next plan.csv")
    _run(
        path, "--organisation", "nhs-darlington-ccg", "--user", "t.staff.darlington", "--period", "2025-2028"
    )
    new = ODPlan.objects.get(title="Next plan")
    assert new.period_label == "2025-2028" and Deliverable.objects.filter(theme__plan=new).count() == 41


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--organisation", "nope", "--user", "t.admin"], "No organisation with the slug 'nope'"),
        (
            ["--organisation", "nhs-darlington-ccg", "--user", "t.staff.dorset"],
            "may not edit NHS Darlington CCG",
        ),
        (
            ["--organisation", "nhs-dorset-ccg", "--plan", "PLAN", "--user", "t.admin"],
            "belongs to NHS Darlington",
        ),
        (["--organisation", "nhs-darlington-ccg", "--user", "nobody"], "No user 'nobody'"),
    ],
)
def test_the_same_rules_refuse_and_save_nothing(tmp_path, plan, admin_user, staff_dorset, args, expected):
    path = _file(tmp_path, _changed(plan))
    args = [str(plan.pk) if a == "PLAN" else a for a in args]
    with pytest.raises(CommandError, match=expected):
        _run(path, *args)
    assert not StatusUpdate.objects.exists() and ODPlan.objects.count() == 2


def test_row_errors_and_bad_files_save_nothing(tmp_path, plan, admin_user):
    path = _file(tmp_path, _changed(plan, "1.3", "Done"))
    with pytest.raises(CommandError, match="1 errors: nothing was imported"):
        _run(path, "--organisation", "nhs-darlington-ccg", "--plan", str(plan.pk), "--user", "t.admin")
    macro = tmp_path / "plan.xlsm"
    macro.write_bytes(b"PK\x03\x04")
    with pytest.raises(CommandError, match="macros"):
        _run(str(macro), "--organisation", "nhs-darlington-ccg", "--plan", str(plan.pk), "--user", "t.admin")
    assert not StatusUpdate.objects.exists()
