"""The Board Assurance Framework in a real browser at a phone's width: a board member reads it,
staff add a key control, staff issue a paper to a committee. That its pages pass axe and fit
390 px for each role is the sweep of every page's (tests/browser/test_every_page.py: PAGES has
each of the framework's pages, for staff and board members of Darlington)."""

import pytest
from django.urls import reverse

from apps.assurance.models import Control, PrincipalRisk
from apps.organisations.models import Membership, Organisation
from tests.browser.test_every_page import OVERFLOW
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_a_board_member_reads_the_framework_and_staff_add_a_control_on_a_phone(browser, seeded_live_server):
    darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
    for username, role in (
        ("baf.board", Membership.Role.GOVERNING_BODY),
        ("baf.staff", Membership.Role.STAFF),
    ):
        MembershipFactory(user=UserFactory(username=username), organisation=darlington, role=role)
    url = seeded_live_server.url + reverse("assurance:framework", args=[darlington.slug])
    r1 = PrincipalRisk.objects.get(risk__organisation=darlington, risk__reference="R1")

    def sign_in(username):
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(seeded_live_server.url + "/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return context, page

    context, page = sign_in("baf.board")
    page.goto(url)
    assert page.evaluate(OVERFLOW) is None
    card = page.locator(f"article#principal-risk-{r1.pk}").first
    assert "Current rating" in card.inner_text() and "Executive" in card.inner_text()
    assert page.locator("text=Add a control").count() == 0  # a board member reads only
    # Filtering answers in place (HTMX) with the framework, objective by objective.
    page.locator("#filters summary").click()
    page.select_option("#id_outside_appetite", "true")
    page.wait_for_function(
        "() => document.querySelector('#table-region').innerText.includes('0 principal risks')"
    )
    assert page.locator("#table-region section.objective").count() == 7
    assert page.locator("#table-region article.principal-risk").count() == 0
    context.close()

    context, page = sign_in("baf.staff")
    page.goto(url)
    page.locator(f"article#principal-risk-{r1.pk} >> text=Add a control").first.click()
    page.wait_for_load_state()
    assert page.evaluate(OVERFLOW) is None
    page.fill("#id_description", "Quarterly refresh of the OD plan by the Executive")
    page.fill("#id_owner", "Chief Officer")
    page.check("input[name=effectiveness][value=partly]")
    page.keyboard.press("Tab")
    page.click("#record-form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.startswith(seeded_live_server.url + r1.get_absolute_url())
    assert "Quarterly refresh of the OD plan by the Executive" in page.locator("main").inner_text()
    assert page.evaluate(OVERFLOW) is None
    control = Control.objects.get(description="Quarterly refresh of the OD plan by the Executive")
    assert (control.principal_risk_id, control.effectiveness, control.owner) == (
        r1.pk,
        "partly",
        "Chief Officer",
    )
    context.close()


def test_staff_issue_a_paper_to_a_committee_on_a_phone_and_a_board_member_reads_it(
    browser, seeded_live_server
):
    from apps.assurance.models import CommitteePaper

    darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
    staff = UserFactory(username="committee.staff")
    board = UserFactory(username="committee.board")
    MembershipFactory(user=staff, organisation=darlington, role=Membership.Role.STAFF)
    MembershipFactory(user=board, organisation=darlington, role=Membership.Role.GOVERNING_BODY)
    principal = PrincipalRisk.objects.filter(risk__organisation=darlington, committee__isnull=False).first()
    committee = principal.committee
    committee_url = seeded_live_server.url + committee.get_absolute_url()

    def sign_in(username):
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(seeded_live_server.url + "/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return context, page

    context, page = sign_in("committee.staff")
    page.goto(committee_url)
    assert "No paper has been issued to the committee yet." in page.locator("#committee-papers").inner_text()
    page.click("#issue-committee-paper")
    page.wait_for_load_state()
    assert page.evaluate(OVERFLOW) is None
    page.fill("#id_meeting_date", "2026-03-04")
    page.fill("#id_title", "Assurance report to the committee")
    page.click("#issue-confirmation button[type=submit]")
    page.wait_for_load_state()
    paper = CommitteePaper.objects.get(committee=committee)
    assert page.url == seeded_live_server.url + paper.get_absolute_url()
    assert page.evaluate(OVERFLOW) is None
    body = page.locator("#issued-paper").inner_text()
    assert "assurance report to the committee" in body.lower() and principal.risk.reference in body
    assert "first paper" in body
    assert page.locator("#paper-pdf-link").get_attribute("href").endswith("/pdf/")
    context.close()

    context, page = sign_in("committee.board")
    page.goto(committee_url)
    assert page.evaluate(OVERFLOW) is None
    assert page.locator("#issue-committee-paper").count() == 0  # a board member reads only
    row = page.locator(f"#committee-paper-{paper.pk}")
    assert "Paper 1" in row.inner_text() and "Stands" in row.inner_text()
    row.locator("text=Paper 1").click()
    page.wait_for_load_state()
    assert "assurance report to the committee" in page.locator("#issued-paper").inner_text().lower()
    context.close()
