"""The board report printed from the browser (Chromium's print to PDF, A4, the print stylesheet):
the summary table stays whole on one page with its total printed once, and a plan without a
cover sheet prints a blank form with a line to write on per row, not a sliver."""

import io

import pytest
from pypdf import PdfReader

from apps.organisations.models import Membership, Organisation
from apps.plans.models import ODPlan
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def _printed_pages(page):
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_printed_report_keeps_its_summary_whole_and_an_empty_cover_sheet_is_a_form(login, seeded_live_server):
    darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
    user = UserFactory(username="print.board")
    MembershipFactory(user=user, organisation=darlington, role=Membership.Role.GOVERNING_BODY)
    plan = ODPlan.objects.get(organisation=darlington)  # no cover sheet has been written for it
    page = login("print.board", PASSWORD)
    page.goto(f"{seeded_live_server.url}/plans/{plan.pk}/report/")
    assert page.locator("#no-cover-sheet").count() == 1

    # On screen and on paper, each empty row of the cover sheet is a line to write on.
    heights = page.locator("#cover-sheet td").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert len(heights) >= 10 and min(heights) >= 30, heights

    pages = _printed_pages(page)
    summary = [i for i, text in enumerate(pages) if "All themes" in text]
    assert len(summary) == 1, f"the total row is printed on pages {summary}"
    text = pages[summary[0]]
    assert text.count("All themes") == 1
    for theme in plan.themes.all():
        assert f"{theme.number}. {theme.title}"[:30] in text, (
            f"theme {theme.number} is not on the total's page"
        )
