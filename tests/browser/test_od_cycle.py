"""Issue 11's whole cycle in one browser session: a new organisation administrator invites a
member of staff; the staff member sets a password from the invitation, imports the plan from an
XLSX with one bad row (sees the error, fixes the file, imports), takes on a deliverable and
receives the reminder digest for it."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable, ODPlan
from tests.browser.test_import import _workbook
from tests.browser.test_people_and_reminders import INVITATION
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def test_the_od_cycle_from_invitation_to_import_to_the_digest(
    browser, login, seeded_live_server, settings, tmp_path
):
    settings.SITE_URL = seeded_live_server.url
    settings.PLAN_IMPORT_DIR = str(tmp_path)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    plan = ODPlan.objects.get(organisation=dorset)
    admin = UserFactory(
        username="cycle.orgadmin", first_name="Ada", last_name="Admin", email="ada@nhs.example"
    )
    MembershipFactory(user=admin, organisation=dorset, role=Membership.Role.ORG_ADMIN)

    # The organisation administrator invites a member of staff.
    page = login("cycle.orgadmin", PASSWORD)
    page.goto(seeded_live_server.url + "/organisations/nhs-dorset-ccg/people/")
    page.fill("#id_email", "sam.cycle@nhs.example")
    page.fill("#id_first_name", "Sam")
    page.fill("#id_last_name", "Cycle")
    page.select_option("#id_role", "staff")
    page.click("#invite button[type=submit]")
    page.wait_for_load_state()
    [invitation] = mail.outbox
    link = INVITATION.search(invitation.body)[1]

    # The staff member sets a password from the invitation, in their own browser.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = context.new_page()
    staff.set_default_timeout(15_000)
    staff.goto(link)
    staff.fill("#id_new_password1", "Sam-sets-a-good-password-2026")
    staff.fill("#id_new_password2", "Sam-sets-a-good-password-2026")
    staff.click("button[type=submit]")
    staff.wait_for_url("**/dashboard/nhs-dorset-ccg/")

    # They import the plan: one bad row is shown and nothing is saved; the fixed file imports.
    bad, good = tmp_path / "plan.xlsx", tmp_path / "plan-fixed.xlsx"
    bad.write_bytes(_workbook(plan, "Finished"))
    good.write_bytes(_workbook(plan, "In progress"))
    staff.goto(seeded_live_server.url + plan.get_absolute_url())
    staff.click("#plan-import-link")
    staff.set_input_files("#id_file", str(bad))
    staff.click("#upload-form button[type=submit]")
    staff.wait_for_load_state()
    errors = staff.locator("#error-table tbody tr")
    assert errors.count() == 1
    assert errors.first.locator("td").all_inner_texts()[:3] == ["4", "Status", "Finished"]
    assert staff.locator("#confirm-form").count() == 0
    assert not Deliverable.objects.filter(theme__plan=plan, theme__number=7).exists()
    staff.set_input_files("#id_file", str(good))
    staff.click("#upload-form button[type=submit]")
    staff.wait_for_load_state()
    assert staff.locator("#count-errors").inner_text() == "0"
    staff.click("#confirm-form button[type=submit]")
    staff.wait_for_load_state()
    imported = Deliverable.objects.get(theme__plan=plan, theme__number=7, position=1)
    assert imported.title == "Publish the plan online"

    # They take on the imported deliverable, due in two weeks.
    due = timezone.localdate() + datetime.timedelta(days=14)
    staff.goto(seeded_live_server.url + imported.get_absolute_url())
    staff.select_option("#id_owner", label="Sam Cycle")
    staff.fill("#id_deadline", due.isoformat())
    staff.fill("#id_note", "I am taking this on.")
    staff.click("#update-form button[type=submit]")
    staff.wait_for_load_state()
    staff.goto(seeded_live_server.url + "/my/")
    assert "Publish the plan online" in staff.locator("main").inner_text()

    # The reminder job: Sam's digest lists it, with a link straight to its update form.
    mail.outbox.clear()
    call_command("send_reminders", verbosity=0)
    [digest] = [m for m in mail.outbox if m.to == ["sam.cycle@nhs.example"]]
    assert str(imported) in digest.body
    assert f"{seeded_live_server.url}{imported.get_absolute_url()}#update-form" in digest.body
    context.close()
