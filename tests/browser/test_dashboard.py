import pytest

from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def test_board_member_lands_on_the_dashboard_follows_overdue_and_opens_the_board_report(
    login, seeded_live_server
):
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    user = UserFactory(username="board.dorset")
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.GOVERNING_BODY)
    overdue = Deliverable.objects.filter(theme__plan__organisation=dorset).overdue().count()
    assert overdue >= 1

    page = login("board.dorset", PASSWORD)
    assert page.url.endswith("/dashboard/nhs-dorset-ccg/")
    assert "NHS Dorset CCG" in page.locator("h1").inner_text()
    assert page.locator("canvas[data-drawn]").count() >= 1  # Chart.js drew from the vendored file
    assert page.locator("#stat-overdue .value").inner_text() == str(overdue)

    page.click("#stat-overdue")
    page.wait_for_url("**/deliverables/?**overdue=true**")
    assert page.locator("#deliverable-table tbody tr").count() == overdue
    assert page.locator(".status-cell").count() == 0  # read-only for governing-body members

    page.goto(seeded_live_server.url + "/dashboard/nhs-dorset-ccg/")
    page.click("text=board report")
    page.wait_for_url("**/plans/*/report/")
    body = page.locator("body").inner_text()
    assert "Delivery against" in body and "Data read at" in body
    assert "15/01/2014" in body or "15 January 2014" in body
    assert page.locator("text=Edit cover sheet").count() == 0
