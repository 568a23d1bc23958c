import pytest

from apps.core.views import FilteredTableView
from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable
from tests import seed_data
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

# A function, not an expression: Playwright polls an expression with eval, which the pages'
# Content-Security-Policy refuses (the wait then fails whenever focus is not there at once).
FOCUSED = "id => document.activeElement !== null && document.activeElement.id === id"


def _user(username, role):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=Organisation.objects.get(slug="nhs-dorset-ccg"), role=role)
    return user


def test_staff_change_a_status_with_a_note_and_see_it_in_the_history(login, seeded_live_server):
    _user("staff.dorset", Membership.Role.STAFF)
    deliverable = (
        Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg", status="in_progress")
        .order_by("pk")
        .first()
    )
    page = login("staff.dorset", PASSWORD)
    page.goto(seeded_live_server.url + deliverable.get_absolute_url())
    assert page.locator("#update-form").is_visible()
    page.select_option("#id_status", "delivered")
    page.fill("#id_note", "Signed off by the Executive in the browser test.")
    page.click("#update-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#current-status").inner_text() == "Delivered"
    history = page.locator("#update-history")
    assert "Signed off by the Executive in the browser test." in history.inner_text()
    assert "Delivered" in history.inner_text()


def test_staff_change_a_status_in_place_on_the_list(login, seeded_live_server):
    _user("staff.dorset", Membership.Role.STAFF)
    deliverable = (
        Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg", status="in_progress")
        .order_by("pk")
        .first()
    )
    page = login("staff.dorset", PASSWORD)
    page.goto(seeded_live_server.url + "/deliverables/?status=in_progress")
    cell = page.locator(f"#status-cell-{deliverable.pk}")
    cell.locator("summary").click()
    cell.locator("select").select_option("delivered")
    # No note: refused, and the form keeps the choice, ties the error to the note, and focuses
    # an error summary whose link takes the user to the note.
    cell.locator("button").click()
    error = page.locator(f"#status-cell-{deliverable.pk} [role=alert]")
    error.wait_for()
    assert "progress note" in error.inner_text()
    cell = page.locator(f"#status-cell-{deliverable.pk}")
    assert cell.locator("select").input_value() == "delivered"
    note = cell.locator("textarea[name=note]")
    assert f"status-error-{deliverable.pk}" in note.get_attribute("aria-describedby")
    page.wait_for_function(FOCUSED, arg=f"status-errors-{deliverable.pk}")
    cell.locator(f"#status-errors-{deliverable.pk} a").click()
    page.wait_for_function(FOCUSED, arg=f"note-{deliverable.pk}")
    deliverable.refresh_from_db()
    assert deliverable.status == "in_progress"

    note.fill("Closed in place.\nSigned off by the Executive.")
    cell.locator("button").click()
    page.locator(f"#status-cell-{deliverable.pk} >> text=Saved").wait_for()
    # Focus goes back to the row, not to the top of the page.
    page.wait_for_function(FOCUSED, arg=f"deliverable-{deliverable.pk}")
    deliverable.refresh_from_db()
    assert deliverable.status == "delivered"
    assert deliverable.updates.get().note == "Closed in place.\nSigned off by the Executive."


def test_governing_body_member_sees_no_edit_controls(login, seeded_live_server):
    _user("board.dorset", Membership.Role.GOVERNING_BODY)
    deliverable = Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg").first()
    page = login("board.dorset", PASSWORD)
    page.goto(seeded_live_server.url + deliverable.get_absolute_url())
    assert page.locator("h1").inner_text() == deliverable.title
    assert page.locator("#update-form").count() == 0
    page.goto(seeded_live_server.url + "/deliverables/")
    rows = min(FilteredTableView.paginate_by, len(seed_data.deliverables("nhs-dorset-ccg")))
    assert page.locator("#deliverable-table tbody tr").count() == rows > 0
    assert page.locator(".status-cell").count() == 0
    assert page.locator("form[hx-post]").count() == 0


def test_after_an_in_place_save_on_my_work_focus_is_on_the_row(login, seeded_live_server):
    """My work's rows carry their own ids (my-deliverable-<pk>): focus still returns to the row
    of the control, not to the top of the page."""
    staff = _user("staff.dorset", Membership.Role.STAFF)
    deliverable = (
        Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg", status="in_progress")
        .order_by("pk")
        .first()
    )
    Deliverable.objects.filter(pk=deliverable.pk).update(owner=staff)
    page = login("staff.dorset", PASSWORD)
    page.goto(seeded_live_server.url + "/my/")
    cell = page.locator(f"#status-cell-{deliverable.pk}")
    cell.locator("summary").click()
    cell.locator("select").select_option("delivered")
    cell.locator("textarea[name=note]").fill("Closed from My work.")
    cell.locator("button").click()
    page.locator(f"#status-cell-{deliverable.pk} >> text=Saved").wait_for()
    page.wait_for_function(FOCUSED, arg=f"my-deliverable-{deliverable.pk}")
    deliverable.refresh_from_db()
    assert deliverable.status == "delivered"
