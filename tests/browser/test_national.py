import pytest

from apps.organisations.models import Membership, Organisation
from tests import seed_data
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def _population_column(page):
    return [
        int(text.replace(",", ""))
        for text in page.locator("#lat-table tbody td.num:nth-child(3)").all_inner_texts()
    ]


def test_login_open_national_picture_and_sort_by_population(login, seeded_live_server):
    user = UserFactory(username="browser.board")
    MembershipFactory(
        user=user,
        organisation=Organisation.objects.get(slug="nhs-dorset-ccg"),
        role=Membership.Role.GOVERNING_BODY,
    )
    page = login("browser.board", PASSWORD)
    page.goto(seeded_live_server.url + "/national/")
    assert page.locator("h1").inner_text().startswith("National picture")
    assert page.locator("#lat-table tbody tr").count() == len(seed_data.organisations(kind="lat"))

    page.click("#lat-table thead th >> text=Population (000s)")
    page.wait_for_url("**sort=population_thousands**")
    ascending = _population_column(page)
    assert ascending == sorted(ascending) and ascending[0] == 1167

    page.click("#lat-table thead th >> text=Population (000s)")
    page.wait_for_url("**sort=-population_thousands**")
    descending = _population_column(page)
    assert descending == sorted(descending, reverse=True) and descending[0] == 2971
