"""Issue 11 in a real browser: a new organisation administrator invites a staff member, who sets a
password from the emailed link, lands on the dashboard, takes on a deliverable and gets the
reminder digest for it."""

import datetime
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

INVITATION = re.compile(r"(http://\S+/accounts/invitation/\S+/)")


def fits_390(page):
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    return overflow <= 390


def test_an_invited_staff_member_sets_a_password_owns_a_deliverable_and_gets_the_digest(
    browser, login, seeded_live_server, settings
):
    settings.SITE_URL = seeded_live_server.url
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    admin = UserFactory(username="new.orgadmin", first_name="Ada", last_name="Admin", email="ada@nhs.example")
    MembershipFactory(user=admin, organisation=dorset, role=Membership.Role.ORG_ADMIN)

    # The organisation administrator invites a member of staff.
    page = login("new.orgadmin", PASSWORD)
    page.goto(seeded_live_server.url + "/organisations/nhs-dorset-ccg/people/")
    assert fits_390(page)
    page.fill("#id_email", "sam.staff@nhs.example")
    page.fill("#id_first_name", "Sam")
    page.fill("#id_last_name", "Staff")
    page.select_option("#id_role", "staff")
    page.click("#invite button[type=submit]")
    page.wait_for_load_state()
    assert "an email has been sent" in page.locator(".messages").inner_text()
    assert "Invitation pending" in page.locator("#people").inner_text()
    assert "Invited" in page.locator("#people-changes").inner_text()
    [invitation] = mail.outbox
    assert invitation.to == ["sam.staff@nhs.example"]
    link = INVITATION.search(invitation.body)[1]

    # The staff member opens the link in their own browser and sets a password.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = context.new_page()
    staff.set_default_timeout(15_000)
    staff.goto(link)
    assert staff.locator("#invited-username").inner_text() == "sam.staff@nhs.example"
    assert fits_390(staff)
    staff.fill("#id_new_password1", "Sam-sets-a-good-password-2026")
    staff.fill("#id_new_password2", "Sam-sets-a-good-password-2026")
    staff.click("button[type=submit]")
    staff.wait_for_url("**/dashboard/nhs-dorset-ccg/")
    assert "Sam Staff" in staff.locator(".user-name").inner_text()

    # They take on a deliverable, due in two weeks, through its update form.
    deliverable = (
        Deliverable.objects.filter(theme__plan__organisation=dorset, status="in_progress")
        .order_by("pk")
        .first()
    )
    due = timezone.localdate() + datetime.timedelta(days=14)
    staff.goto(seeded_live_server.url + deliverable.get_absolute_url())
    staff.select_option("#id_owner", label="Sam Staff")
    staff.fill("#id_deadline", due.isoformat())
    staff.fill("#id_note", "I am taking this on.")
    staff.click("#update-form button[type=submit]")
    staff.wait_for_load_state()
    assert "Sam Staff" in staff.locator("dl.facts").first.inner_text()

    # The reminder job runs: Sam's digest lists it, with a link straight to its update form.
    mail.outbox.clear()
    call_command("send_reminders", verbosity=0)
    [digest] = [m for m in mail.outbox if m.to == ["sam.staff@nhs.example"]]
    assert "DUE IN THE NEXT 30 DAYS" in digest.body and str(deliverable) in digest.body
    update_link = f"{seeded_live_server.url}{deliverable.get_absolute_url()}#update-form"
    assert update_link in digest.body
    staff.goto(update_link)
    assert staff.locator("#update-form").is_visible()
    # The job again: nothing more.
    call_command("send_reminders", verbosity=0)
    assert len([m for m in mail.outbox if m.to == ["sam.staff@nhs.example"]]) == 1
    context.close()
