import pytest

from apps.organisations.models import Membership, Organisation
from apps.plans import services as plan_services
from apps.plans.models import Deliverable, ODPlan
from apps.reports import services as report_services
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


def _board_member_page(browser, live_server, width, height):
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    user = UserFactory(username="board.viewport")
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.GOVERNING_BODY)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "board.viewport")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/nhs-dorset-ccg/")
    return context, page


def _issue_and_change(dorset):
    """A paper issued to the meeting, then a status changed: every figure has a "last paper"
    line, the longest the first screen gets."""
    staff = UserFactory(username="staff.viewport")
    MembershipFactory(user=staff, organisation=dorset, role=Membership.Role.STAFF)
    plan = ODPlan.objects.get(organisation=dorset)
    cover = report_services.latest_report(plan)
    report_services.issue_paper(
        plan_id=plan.pk, acting_user=staff, cover_sheet_id=cover.pk, cover_sheet_version=cover.version
    )
    open_one = Deliverable.objects.filter(theme__plan=plan, status="in_progress").first()
    plan_services.deliverable_update(
        deliverable_id=open_one.pk,
        acting_user=staff,
        expected_version=open_one.version,
        changes={"status": "delivered"},
        note="Approved by the Directors group.",
    )


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
@pytest.mark.parametrize("paper", [False, True], ids=["no-paper", "after-a-paper"])
def test_the_first_screen_says_whether_we_are_on_track(browser, seeded_live_server, width, height, paper):
    """A governing-body member's landing page, on a laptop and on a phone, before any paper and
    after one (each figure then compared with it): the answer to "are we on track", the three
    off-track checks and the headline delivery figures are all in the first viewport, without
    scrolling."""
    if paper:
        _issue_and_change(Organisation.objects.get(slug="nhs-dorset-ccg"))
    context, page = _board_member_page(browser, seeded_live_server, width, height)
    try:
        assert page.evaluate("window.scrollY") == 0
        for selector in (
            "#state-summary",
            "#attention-overdue",
            "#attention-stale",
            "#attention-red",
            "#stat-fully-delivered",
            "#stat-further-work",
            "#stat-to-deliver",
            "#stat-due-soon",
            # What changed: the section itself on a laptop; on a phone, where the section is
            # below the first screen, its answer in a line under "Are we on track?".
            "#changes-heading" if width >= 768 else "#state-changed",
        ):
            box = page.locator(selector).bounding_box()
            assert box is not None, selector
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, (selector, box)
        # The off-track checks say in words whether they need attention.
        overdue = (
            Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg").overdue().count()
        )
        state = page.locator("#attention-overdue").inner_text()
        assert ("Needs attention" in state) == (overdue > 0) and ("On track" in state) == (overdue == 0)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert (page.locator("#stat-fully-delivered ~ .trend").count() == 1) == paper
        if width < 768:
            changed = page.locator("#state-changed").inner_text()
            if paper:
                assert changed.startswith("What changed: 1 deliverable changed status since paper 1, 1 now")
            else:
                assert changed.startswith("What changed: ")
            assert changed.endswith("See what changed")
        else:
            assert not page.locator("#state-changed").is_visible()  # the section is in view itself
    finally:
        context.close()


def test_the_as_at_day_is_picked_with_the_keyboard(browser, seeded_live_server):
    """The date field is a real form: typed and sent with the keyboard alone. A day before the
    records began is said in a sentence, with no figures."""
    context, page = _board_member_page(browser, seeded_live_server, 390, 844)
    try:
        # The field shows the browser's own order of day, month and year: type in either.
        for digits in ("03312014", "31032014"):
            page.reload()
            page.focus("#as-at-day")
            page.keyboard.type(digits)
            if page.input_value("#as-at-day") == "2014-03-31":
                break
        assert page.input_value("#as-at-day") == "2014-03-31"
        page.keyboard.press("Enter")  # sends the form, as Enter in any field of a form does
        page.wait_for_url("**as_at=2014-03-31")
        sentence = page.locator("#before-records-sentence").inner_text()
        assert "no figures for 31 March 2014" in sentence
        assert page.locator("#headline").count() == 0 and page.locator("[data-count]").count() == 0
        page.click("#first-day-link")
        page.wait_for_load_state()
        assert page.locator("#stat-fully-delivered").count() == 1
    finally:
        context.close()
