import pytest

from apps.organisations.models import Membership, Organisation
from apps.plans import imports as im
from apps.plans.models import Deliverable, ODPlan
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory
from tests.plans.import_files import column, plan_rows, to_xlsx

pytestmark = pytest.mark.browser


def _workbook(plan, status):
    rows = plan_rows(plan)
    rows[3][column(rows, im.STATUS)] = status  # row 4 of the sheet: reference 1.3
    new = dict.fromkeys(rows[0], "")
    new.update({im.REFERENCE: "7.1", im.THEME_TITLE: "Digital", im.TITLE: "Publish the plan online"})
    rows.append([new[h] for h in rows[0]])
    return to_xlsx(rows)


def test_staff_import_a_plan_see_the_bad_row_fix_the_file_and_import(
    login, seeded_live_server, page, settings, tmp_path
):
    settings.PLAN_IMPORT_DIR = str(tmp_path)
    user = UserFactory(username="staff.dorset")
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.STAFF)
    plan = ODPlan.objects.get(organisation=dorset)
    bad, good = tmp_path / "dorset-plan.xlsx", tmp_path / "dorset-plan-fixed.xlsx"
    bad.write_bytes(_workbook(plan, "Finished"))
    good.write_bytes(_workbook(plan, "In progress"))

    page = login("staff.dorset", PASSWORD)
    page.goto(seeded_live_server.url + plan.get_absolute_url())
    page.click("#plan-import-link")
    page.set_input_files("#id_file", str(bad))
    page.click("#upload-form button[type=submit]")
    page.wait_for_load_state()
    errors = page.locator("#error-table tbody tr")
    assert errors.count() == 1
    cells = errors.first.locator("td").all_inner_texts()
    assert cells[:3] == ["4", "Status", "Finished"]
    assert "'Finished' is not a status" in cells[3]
    assert page.locator("#confirm-form").count() == 0

    page.set_input_files("#id_file", str(good))
    page.click("#upload-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#count-errors").inner_text() == "0"
    assert page.locator("#count-new").inner_text() == "1"
    assert page.locator("#count-changed").inner_text() == "1"
    assert "Theme 7: Digital" in page.locator("#new-structure").inner_text()
    page.click("#confirm-form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(plan.get_absolute_url())
    assert "Imported dorset-plan-fixed.xlsx: 1 added, 1 changed, 53 unchanged." in page.inner_text(
        ".messages"
    )
    changed = Deliverable.objects.get(theme__plan=plan, theme__number=1, position=3)
    assert changed.status == "in_progress"
    assert changed.updates.get().note == "Imported from dorset-plan-fixed.xlsx"
    assert (
        Deliverable.objects.get(theme__plan=plan, theme__number=7, position=1).title
        == "Publish the plan online"
    )
