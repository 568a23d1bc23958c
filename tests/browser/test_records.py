"""Staff on a phone add the first risk to their organisation's empty register, by keyboard only,
and find it in the register."""

import pytest

from apps.organisations.models import Membership, Organisation
from apps.risks.models import BandScheme, Risk, RiskReview
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
FITS = "() => document.scrollingElement.scrollWidth <= window.innerWidth"


def _tab_to(page, selector, limit=80):
    """Press Tab until the element matching ``selector`` has the focus (as a keyboard user does)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was not reached by {limit} presses of Tab")


def _type_into(page, selector, text):
    _tab_to(page, selector)
    page.keyboard.type(text)


def test_staff_add_a_risk_on_a_phone_by_keyboard_and_see_it_in_the_register(login, seeded_live_server):
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    MembershipFactory(
        user=UserFactory(username="phone.staff"), organisation=dorset, role=Membership.Role.STAFF
    )
    page = login("phone.staff", PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(seeded_live_server.url + "/risks/")
    assert "The risk register of NHS Dorset CCG is empty." in page.locator("#register-empty").inner_text()
    assert page.evaluate(FITS)

    _tab_to(page, "#register-empty a.button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/organisations/nhs-dorset-ccg/risks/new/")
    assert page.evaluate(FITS)

    _type_into(page, "#id_reference", "R1")
    _type_into(page, "#id_description", "GP leads leave before authorisation")
    _type_into(page, "#id_category", "Workforce")
    _tab_to(page, "#id_domains_3")  # domain 4, capacity and capability
    page.keyboard.press("Space")
    # The ratings, under their pairs of scores, follow the scores as they are chosen (the
    # server's table: BandScheme.ratings), as on the review form.
    inherent, residual = page.locator("#live-inherent-rating"), page.locator("#live-residual-rating")
    assert inherent.inner_text() == "Inherent rating: —"
    for field, score in (
        ("severity", "4"),
        ("likelihood", "4"),
        ("residual_severity", "3"),
        ("residual_likelihood", "2"),
    ):
        _tab_to(page, f"#id_{field}")
        page.keyboard.type(score)  # a closed select takes the option its typed text starts
        if field == "severity":
            assert inherent.inner_text() == "Inherent rating: —"  # the likelihood is not chosen yet
    assert page.locator("#id_severity option:checked").inner_text() == "4 Major"
    assert page.locator("#id_likelihood option:checked").inner_text() == "4 Likely"
    table = BandScheme.current().ratings()
    assert table["4x4"]["label"] == "Extreme"
    assert inherent.inner_text() == "Inherent rating: 16 Extreme"
    assert residual.inner_text() == f"Residual rating: 6 {table['3x2']['label']}"

    def top(selector):
        return page.locator(selector).bounding_box()["y"]

    assert top("#id_likelihood") < top("#live-inherent-rating") < top("#id_mitigation")
    assert top("#id_residual_likelihood") < top("#live-residual-rating") < top("#id_owner")
    _type_into(page, "#id_mitigation", "Succession plans for each locality lead.")
    _type_into(page, "#id_note", "Raised at the governing body seminar.")
    _tab_to(page, "#record-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "/risks/?organisation=" in page.url
    assert "Risk R1 added to NHS Dorset CCG's register." in page.locator(".messages").inner_text()
    rows = page.locator("#risk-table tbody tr")
    assert rows.count() == 1
    row = rows.nth(0).inner_text()
    assert "GP leads leave before authorisation" in row and "16" in row and "Extreme" in row
    assert page.evaluate(FITS)

    risk = Risk.objects.get(organisation=dorset)
    assert (risk.severity, risk.likelihood, risk.residual_severity, risk.residual_likelihood) == (4, 4, 3, 2)
    assert [d.number for d in risk.domains.all()] == [4]
    assert RiskReview.objects.get(risk=risk).reviewed_by.username == "phone.staff"
