from collections import Counter

import pytest

from apps.organisations.models import Membership, Organisation
from tests import seed_data
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def _cell(page, kind, severity, likelihood):
    return page.locator(f"#heatmap-{kind} td[data-severity='{severity}'][data-likelihood='{likelihood}']")


def test_staff_review_a_risk_lower_residual_likelihood_and_see_the_heat_map_change(login, seeded_live_server):
    user = UserFactory(username="staff.darlington")
    MembershipFactory(
        user=user,
        organisation=Organisation.objects.get(slug="nhs-darlington-ccg"),
        role=Membership.Role.STAFF,
    )
    page = login("staff.darlington", PASSWORD)
    page.goto(seeded_live_server.url + "/risks/heatmap/")
    # R2 (4 x 4) has residual 4 x 3; reviewing it moves it to (4, 2). The cells' counts, from the seed:
    (r2,) = seed_data.risks("nhs-darlington-ccg", reference="R2")
    assert (r2["residual_severity"], r2["residual_likelihood"]) == (4, 3)
    residual = Counter((r["residual_severity"], r["residual_likelihood"]) for r in seed_data.risks())
    assert _cell(page, "residual", 4, 3).get_attribute("data-count") == str(residual[4, 3])
    assert _cell(page, "residual", 4, 2).get_attribute("data-count") == str(residual[4, 2])

    page.goto(seeded_live_server.url + "/risks/?q=R2")
    page.click("#risk-table tbody tr >> nth=0 >> td >> nth=0 >> a")
    page.select_option("#id_residual_likelihood", "2")
    page.fill("#id_note", "Engagement strategy agreed; likelihood lowered.")
    page.click("#review-form button[type=submit]")
    page.wait_for_load_state()
    assert "4 x likelihood 2 = 8" in page.locator("#residual-score").inner_text()
    assert "Engagement strategy agreed" in page.locator("#review-history").inner_text()

    page.goto(seeded_live_server.url + "/risks/heatmap/")
    assert _cell(page, "residual", 4, 3).get_attribute("data-count") == str(residual[4, 3] - 1)
    assert _cell(page, "residual", 4, 2).get_attribute("data-count") == str(residual[4, 2] + 1)
    # The cell's link opens the list filtered to the risks it counts.
    _cell(page, "residual", 4, 2).locator("a").click()
    page.wait_for_load_state()
    assert page.locator("#risk-table tbody tr").count() == residual[4, 2] + 1
