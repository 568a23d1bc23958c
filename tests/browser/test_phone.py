"""Staff on a phone, their main task: at 320 and 390 px wide every list shows each row as a card,
and the first row's status is changed, with a note, without anything scrolling sideways, the
status select wide enough to show its longest choice whole ("Delivered, with further work in
progress"). No word in a table is broken inside at 390 px."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable
from apps.risks.models import Risk
from tests.browser.test_every_page import BROKEN_WORDS
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

LONGEST = Deliverable.Status.DELIVERED_FURTHER_WORK

# What scrolls sideways: the page, or a list's box (a card list has nothing to scroll to).
SIDEWAYS = """() => {
  const out = [];
  const page = document.scrollingElement;
  if (page.scrollWidth > window.innerWidth) { out.push("the page: " + page.scrollWidth + " px"); }
  for (const box of document.querySelectorAll(".table-container")) {
    if (box.scrollWidth > box.clientWidth + 1) {
      out.push((box.querySelector("table") || box).id + ": " + box.scrollWidth + " px");
    }
  }
  return out;
}"""

# Whether an element lies wholly inside the window, left to right.
INSIDE = """el => {
  const r = el.getBoundingClientRect();
  return r.left >= 0 && r.right <= window.innerWidth + 0.5;
}"""

# The width a select needs to show its chosen option whole: a copy of it, free to take its own
# width, measured beside it.
NEEDED = """select => {
  const copy = select.cloneNode(true);
  copy.value = select.value;
  copy.style.cssText = "position:absolute; left:0; top:0; visibility:hidden; width:auto; max-width:none";
  select.parentElement.appendChild(copy);
  const needed = copy.getBoundingClientRect().width;
  copy.remove();
  return [needed, select.getBoundingClientRect().width];
}"""


def _staff():
    user = UserFactory(username="phone.staff", first_name="Pat", last_name="Phone")
    for slug in ("nhs-dorset-ccg", "nhs-darlington-ccg"):
        MembershipFactory(
            user=user, organisation=Organisation.objects.get(slug=slug), role=Membership.Role.STAFF
        )
    return user


def _change_first_status(page, table_id):
    """Open the first row's status control, choose the longest status, write a note and save;
    check on the way that nothing scrolls sideways and the select shows its choice whole."""
    assert page.evaluate(SIDEWAYS) == []
    row = page.locator(f"#{table_id} tbody tr").first
    assert row.evaluate("tr => getComputedStyle(tr).display") != "table-row", "rows are cards"
    assert page.locator(f"#{table_id} thead").evaluate("el => el.getBoundingClientRect().height") <= 1
    cell = row.locator(".status-cell")
    pk = int(cell.get_attribute("id").removeprefix("status-cell-"))
    cell.locator("summary").click()
    select, note, button = cell.locator("select"), cell.locator("textarea"), cell.locator("button")
    select.select_option(LONGEST)
    needed, width = select.evaluate(NEEDED)
    assert width >= needed, f"the select is {width:.0f} px wide and needs {needed:.0f} to show its choice"
    for control in (select, note, button):
        assert control.evaluate(INSIDE), "a control of the status form is outside the window"
    note.fill("Done, with more to follow: changed on a phone.")
    assert page.evaluate(SIDEWAYS) == []
    button.click()
    page.locator(f"#status-cell-{pk} >> text=Saved").wait_for()
    assert page.evaluate(SIDEWAYS) == []
    return Deliverable.objects.get(pk=pk)


@pytest.mark.parametrize("width", [320, 390])
def test_the_first_rows_status_changes_on_a_phone_with_nothing_to_scroll(login, seeded_live_server, width):
    _staff()
    page = login("phone.staff", PASSWORD)
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(seeded_live_server.url + "/deliverables/?status=in_progress")
    deliverable = _change_first_status(page, "deliverable-table")
    assert deliverable.status == LONGEST
    assert deliverable.updates.get().note == "Done, with more to follow: changed on a phone."


@pytest.mark.parametrize("width", [320, 390])
def test_my_work_changes_a_status_on_a_phone_with_nothing_to_scroll(login, seeded_live_server, width):
    staff = _staff()
    open_work = Deliverable.objects.filter(
        theme__plan__organisation__slug="nhs-dorset-ccg", status="in_progress"
    )
    Deliverable.objects.filter(pk__in=open_work.order_by("pk").values("pk")[:2]).update(owner=staff)
    page = login("phone.staff", PASSWORD)
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(seeded_live_server.url + "/my/")
    assert _change_first_status(page, "my-deliverables").status == LONGEST


def test_the_lists_are_cards_and_no_word_is_broken_at_390_px(login, seeded_live_server):
    """The risk register, a deliverable's history, the plan and the board report: cards where
    they are lists, and no word broken letter by letter in any table."""
    staff = _staff()
    deliverable = Deliverable.objects.filter(theme__plan__organisation__slug="nhs-darlington-ccg").first()
    risk = Risk.objects.filter(organisation__slug="nhs-darlington-ccg").first()
    Risk.objects.filter(pk=risk.pk).update(owner=staff)
    # One of each archived, so that the archived lists, with their Restore links, have a row.
    archived = Deliverable.objects.filter(theme__plan__organisation__slug="nhs-darlington-ccg").last()
    Deliverable.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    Risk.objects.filter(pk=Risk.objects.filter(organisation__slug="nhs-darlington-ccg").last().pk).update(
        archived_at=timezone.now()
    )
    plan = deliverable.theme.plan
    page = login("phone.staff", PASSWORD)
    page.set_default_timeout(
        30_000
    )  # eleven pages, the dashboard and the report among them, on a busy machine
    page.set_viewport_size({"width": 390, "height": 844})
    pages = {
        "/risks/": "risk-table",
        deliverable.get_absolute_url(): "update-history",
        risk.get_absolute_url(): "review-history",
        "/my/": "my-risks",
        "/deliverables/archived/": "archived-deliverables",
        "/risks/archived/": "archived-risks",
        "/organisations/nhs-darlington-ccg/self-assessment/": "domain-scores",
        plan.get_absolute_url(): None,
        f"/plans/{plan.pk}/report/": None,
        f"/dashboard/{plan.organisation.slug}/": None,
        "/national/": None,
    }
    for url, table_id in pages.items():
        page.goto(seeded_live_server.url + url)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        assert page.evaluate(BROKEN_WORDS) == [], url
        if table_id:
            assert page.evaluate(SIDEWAYS) == [], url
            row = page.locator(f"#{table_id} tbody tr").first
            assert row.evaluate("tr => getComputedStyle(tr).display") != "table-row", url
            for link in row.locator("a").all():
                assert link.evaluate(INSIDE), f"{url}: a link of the first card is outside the window"


SMALLEST_TEXT = """selector => {
  let smallest = Infinity;
  for (const el of document.querySelectorAll(selector + ", " + selector + " *")) {
    const own = [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (own && el.getClientRects().length) {
      smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
    }
  }
  return smallest;
}"""


@pytest.mark.parametrize("width", [1366, 390, 320])
def test_the_heat_maps_labels_are_at_least_12_px(login, seeded_live_server, width):
    _staff()
    page = login("phone.staff", PASSWORD)
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(seeded_live_server.url + "/risks/heatmap/")
    assert page.locator(".heatmap .axis .descriptor").first.inner_text() in ("Almost certain", "Rare")
    assert page.evaluate(SMALLEST_TEXT, ".heatmap") >= 12


def _deadlines(page):
    """The cards' deadlines, as (year, month, day), in the cards' order (those without, left out)."""
    cells = page.evaluate(
        """() => [...document.querySelectorAll("#deliverable-table tbody td")]
          .filter(td => td.querySelector(".nhsuk-table__heading").textContent === "Deadline")
          .map(td => td.querySelector(".cell-value").textContent.trim())"""
    )
    return [tuple(reversed(text.split("/"))) for text in cells if text != "—"]


def test_a_phone_sorts_a_list_by_keyboard_keeping_its_filters(login, seeded_live_server):
    """At 390 px the cards hide the column headers and their sort links: "Sort by" above the
    cards sorts the list (the table's own ``sort`` parameter, without JavaScript), the filters
    kept; at 1366 px it is not shown, the headers are."""
    _staff()
    page = login("phone.staff", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(seeded_live_server.url + "/deliverables/?status=in_progress")
    before = _deadlines(page)
    assert len(before) > 2 and before != sorted(before, reverse=True)  # not already in that order
    select = page.locator("#deliverable-table-sort")
    assert select.is_visible() and select.evaluate(INSIDE)
    assert page.locator("label[for=deliverable-table-sort]").inner_text() == "Sort by"
    assert select.locator("option:checked").inner_text() == "Plan order"
    for _ in range(60):  # as a keyboard user reaches it
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "deliverable-table-sort":
            break
    else:
        raise AssertionError("Sort by was not reached by Tab")
    select.select_option(label="Deadline, latest first")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Sort"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "sort=-deadline" in page.url and "status=in_progress" in page.url
    after = _deadlines(page)
    assert after == sorted(before, reverse=True)
    assert page.locator("#deliverable-table-sort option:checked").inner_text() == "Deadline, latest first"
    assert page.evaluate(SIDEWAYS) == []
    # The hidden headers' sort links are out of the Tab order: from "Sort", Tab reaches the
    # first card, not a link no one can see.
    page.focus("#deliverable-table-sort-form button")
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('#deliverable-table tbody')")

    page.set_viewport_size({"width": 1366, "height": 900})
    assert not select.is_visible()
    assert page.locator("#deliverable-table thead th[aria-sort=descending]").inner_text() == "Deadline"
    # The headers' links back in the Tab order: the page's media-query listener runs after the
    # resize, so wait for it (up to the default 5 s) rather than read the attributes at once.
    expect(page.locator("#deliverable-table thead a[tabindex]")).to_have_count(0)
    page.focus("#deliverable-table thead a >> nth=0")  # a link of the headers shown again
    assert page.evaluate("() => !!document.activeElement.closest('#deliverable-table thead')")


def test_the_heat_map_comes_before_its_filters_on_a_phone(login, seeded_live_server):
    """At 390 px the heat map's filter panel is folded, as the lists' are, so that the map is in
    the first screen; the filters in force are listed above it. At 1366 px the panel is open."""
    _staff()
    page = login("phone.staff", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(seeded_live_server.url + "/risks/heatmap/?status=open")
    assert page.locator("#filters").evaluate("d => d.open") is False
    assert page.locator("#filters summary").inner_text().split() == ["Filter", "the", "risks", "(1", "set)"]
    assert page.locator("#active-filters").inner_text().startswith("Filtered by:")
    assert "Status: Open" in page.locator("#active-filters").inner_text()
    assert page.locator("#heatmap-inherent").bounding_box()["y"] < 844
    assert page.evaluate(SIDEWAYS) == []
    page.locator("#filters summary").click()
    assert page.locator("#filters select[name=status]").is_visible()

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(seeded_live_server.url + "/risks/heatmap/")
    assert page.locator("#filters").evaluate("d => d.open") is True
