"""Errors where the eye is (issue 19.2), at 390 px: after a form comes back with errors the
error summary is focused and in the window, on the deliverable's update form, the in-place
status control, the risk review, the import, the people page's invitation and the admin's
change form; a link of the summary takes the user to its field."""

import pytest

from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable
from apps.risks.models import Risk
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

# The focused element is an error summary, wholly inside the window.
SUMMARY_IN_VIEW = """() => {
  const el = document.activeElement;
  if (!el || !el.hasAttribute("data-error-summary")) { return false; }
  const r = el.getBoundingClientRect();
  return r.top >= 0 && r.top < window.innerHeight / 2 && r.bottom <= window.innerHeight;
}"""
FOCUSED_ID = "() => document.activeElement && document.activeElement.id"


def _user(username, role, slug="nhs-dorset-ccg", **extra):
    user = UserFactory(username=username, **extra)
    if role:
        MembershipFactory(user=user, organisation=Organisation.objects.get(slug=slug), role=role)
    return user


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def _summary_focused(page):
    page.wait_for_function(SUMMARY_IN_VIEW)
    return page.evaluate(FOCUSED_ID)


def test_the_update_form_focuses_its_summary_and_a_link_focuses_the_field(login, phone, seeded_live_server):
    _user("phone.staff", Membership.Role.STAFF)
    deliverable = (
        Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg", status="in_progress")
        .order_by("pk")
        .first()
    )
    page = login("phone.staff", PASSWORD)
    page.goto(seeded_live_server.url + deliverable.get_absolute_url())
    page.select_option("#id_status", "delivered")
    page.click("#update-form button[type=submit]")
    page.wait_for_load_state()
    summary = _summary_focused(page)
    assert "progress note" in page.inner_text(f"#{summary}")
    page.click(f"#{summary} a[href='#id_note']")
    page.wait_for_function("() => document.activeElement.id === 'id_note'")
    label = page.locator("label[for=id_note]").bounding_box()
    assert 0 <= label["y"] < 844, "the note's label is in view with its field"


def test_the_in_place_control_focuses_its_summary(login, phone, seeded_live_server):
    _user("phone.staff", Membership.Role.STAFF)
    page = login("phone.staff", PASSWORD)
    page.goto(seeded_live_server.url + "/deliverables/")
    cell = page.locator(".status-cell").nth(5)  # a card well down the page
    pk = cell.get_attribute("id").removeprefix("status-cell-")
    cell.locator("summary").click()
    cell.locator("select").select_option("not_started")
    cell.locator("button").click()
    assert _summary_focused(page) == f"status-errors-{pk}"


def test_the_risk_review_focuses_its_summary(login, phone, seeded_live_server):
    _user("phone.darlington", Membership.Role.STAFF, slug="nhs-darlington-ccg")
    risk = Risk.objects.filter(organisation__slug="nhs-darlington-ccg").order_by("pk").first()
    page = login("phone.darlington", PASSWORD)
    page.goto(seeded_live_server.url + risk.get_absolute_url())
    page.click("#review-form button[type=submit]")
    page.wait_for_load_state()
    summary = _summary_focused(page)
    assert "Enter a review note" in page.inner_text(f"#{summary}")


def test_the_import_and_the_invitation_focus_their_summaries(login, phone, seeded_live_server):
    _user("phone.orgadmin", Membership.Role.ORG_ADMIN)
    page = login("phone.orgadmin", PASSWORD)
    page.goto(seeded_live_server.url + "/plans/import/")
    page.click("#upload-form button[type=submit]")
    page.wait_for_load_state()
    assert _summary_focused(page) == "upload-errors"
    page.goto(seeded_live_server.url + "/organisations/nhs-dorset-ccg/people/")
    page.click("#invite button[type=submit]")
    page.wait_for_load_state()
    assert _summary_focused(page) == "invite-errors"
    assert "Enter the email address." in page.inner_text("#invite-errors")


def test_the_admins_change_form_focuses_its_summary(login, phone, seeded_live_server):
    _user("phone.admin", None, is_superuser=True, is_staff=True)
    deliverable = Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg").first()
    page = login("phone.admin", PASSWORD)
    page.goto(f"{seeded_live_server.url}/admin/plans/deliverable/{deliverable.pk}/change/")
    page.fill("#id_deadline", "31/02/2013")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert _summary_focused(page) == "admin-errors"
    assert "Deadline" in page.inner_text("#admin-errors")
    assert page.locator(".errornote").is_hidden()
