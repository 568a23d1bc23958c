"""In Chromium: staff issue the board paper, a deliverable's status then changes, and a
governing-body member sees the change under "Changes since the paper" on the live report and
the old status on the issued paper."""

import hashlib

import pytest

from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable
from apps.reports.models import IssuedPaper
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def _user(username, role):
    user = UserFactory(username=username, first_name="Pat", last_name=username.split(".")[0].title())
    MembershipFactory(user=user, organisation=Organisation.objects.get(slug="nhs-dorset-ccg"), role=role)
    return user


def _log_out(page):
    page.click("button:has-text('Log out')")
    page.wait_for_url("**/accounts/login/")


def test_staff_issue_a_paper_and_the_board_sees_what_changed_since(
    login, seeded_live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)  # the live server runs in this process
    _user("staff.dorset", Membership.Role.STAFF)
    _user("board.dorset", Membership.Role.GOVERNING_BODY)
    target = Deliverable.objects.filter(
        theme__plan__organisation__slug="nhs-dorset-ccg", status="in_progress"
    ).first()
    plan_id = target.theme.plan_id
    base = seeded_live_server.url

    # Staff issue the paper from the report page, through the confirmation naming the meeting.
    page = login("staff.dorset", PASSWORD)
    page.goto(f"{base}/plans/{plan_id}/report/")
    page.click("#issue-link")
    page.wait_for_url(f"**/plans/{plan_id}/report/issue/")
    assert "governing body meeting of 15 January 2014" in page.locator("#confirm-heading").inner_text()
    page.locator("#issue-confirmation button[type=submit]").focus()
    page.keyboard.press("Enter")  # by keyboard
    page.wait_for_url("**/reports/*/")
    paper = IssuedPaper.objects.get()
    assert "Paper 1 issued for the meeting of 15/01/2014." in page.locator(".messages").inner_text()
    assert page.locator("#pdf-sha256").inner_text() == paper.pdf_sha256
    issued_status = page.locator(f"#issued-paper #deliverable-{target.pk} .deliverable-meta").inner_text()
    assert issued_status.startswith("In progress")

    # Then a status changes, with a progress note.
    page.goto(f"{base}{target.get_absolute_url()}")
    page.select_option("#id_status", "delivered")
    page.fill("#id_note", "Signed off by the Executive after the January meeting.")
    page.click("#update-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#current-status").inner_text() == "Delivered"
    _log_out(page)

    # A governing-body member sees the change on the live report...
    page = login("board.dorset", PASSWORD)
    page.goto(f"{base}/plans/{plan_id}/report/")
    assert page.locator("#issue-link").count() == 0
    changes = page.locator("#changes-since")
    assert "Changes since the paper of 15 January 2014" in changes.locator("h2").inner_text()
    row = changes.locator(f"tr.change-status[data-deliverable='{target.pk}']")
    text = row.inner_text()
    assert "In progress" in text and "Delivered" in text
    assert "by Pat Staff" in text and "Signed off by the Executive after the January meeting." in text
    assert changes.locator(f"#changes-delivered-list [data-deliverable='{target.pk}']").count() == 1
    assert (
        page.locator(f"#appendix #deliverable-{target.pk} .deliverable-meta")
        .inner_text()
        .startswith("Delivered")
    )

    # ...and the old status on the issued paper, whose PDF is the one issued.
    page.click("#latest-paper-link")
    page.wait_for_url(f"**{paper.get_absolute_url()}")
    assert (
        page.locator(f"#issued-paper #deliverable-{target.pk} .deliverable-meta").inner_text()
        == issued_status
    )
    assert page.locator("#issued-paper #no-earlier-paper").count() == 1
    with page.expect_download() as download:
        page.click("#paper-pdf-link")
    with open(download.value.path(), "rb") as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == paper.pdf_sha256

    # With a second paper (copied: a second PDF would only slow the test), the dashboard draws
    # the trend over the papers with Chart.js.
    fields = {
        f.attname: getattr(paper, f.attname) for f in IssuedPaper._meta.concrete_fields if f.name != "id"
    }
    IssuedPaper.objects.create(**{**fields, "number": 2, "previous_id": paper.pk, "delivered_count": 54})
    page.goto(f"{base}/dashboard/nhs-dorset-ccg/")
    page.locator("canvas[data-chart='chart-paper-trend'][data-drawn]").wait_for()
    assert page.locator("#paper-trend-table .trend-row").count() == 2

    # At 390 px the pages keep to the screen (a wide table scrolls within the paper).
    page.set_viewport_size({"width": 390, "height": 800})
    for url in (f"/plans/{plan_id}/reports/", paper.get_absolute_url(), f"/plans/{plan_id}/report/"):
        page.goto(base + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
