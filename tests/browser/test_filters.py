"""Every filter of every list starts blank and means "any" when blank: changing one field of a
filter form in the browser (a select, or a box of a checkbox group) gives exactly the rows that
field alone selects, and the filter then shows as a chip above the rows that removes it."""

import re

import pytest
from django.test import Client

from tests import seed_data
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

LISTS = ["/deliverables/", "/risks/", "/national/"]


def _expected(user, path, name, value):
    client = Client()
    client.force_login(user)
    response = client.get(path, {name: value})
    assert response.status_code == 200
    table = response.context["table"]
    return table.paginator.count if getattr(table, "paginator", None) else len(table.rows)


def _shown(page):
    text = page.locator("#table-region [role=status]").first.inner_text()
    return int(re.match(r"\s*(\d+) matching", text).group(1))


@pytest.mark.parametrize("path", LISTS)
def test_changing_one_filter_gives_the_rows_that_filter_alone_selects(login, seeded_live_server, path):
    admin = UserFactory(username="filter.admin", is_superuser=True, is_staff=True)
    page = login("filter.admin", PASSWORD)
    page.goto(seeded_live_server.url + path)
    names = page.eval_on_selector_all(".filters form select", "els => els.map(e => e.name)")
    assert names, f"{path} has no select filters"
    tried = 0
    for name in names:
        page.goto(seeded_live_server.url + path)
        select = page.locator(f".filters form select[name='{name}']")
        # Blank first: a select that starts on a value would filter without being asked to.
        assert select.evaluate("e => Array.from(e.selectedOptions).every(o => o.value === '')"), name
        values = [v for v in select.evaluate("e => Array.from(e.options).map(o => o.value)") if v]
        if not values:
            continue  # nothing to choose (e.g. no owner recorded in the seed)
        value = values[0]
        with page.expect_response(lambda r, n=name: f"{n}=" in r.url and "/static/" not in r.url):
            select.select_option(value)
        page.wait_for_load_state()
        page.wait_for_function(
            "([n, v]) => new URL(location.href).searchParams.getAll(n).includes(v)", arg=[name, value]
        )
        sent = {k: v for k, v in re.findall(r"[?&]([^=&]+)=([^&]*)", page.url) if v and k != name}
        assert not sent, f"changing {name} also sent {sent}"
        assert _shown(page) == _expected(admin, path, name, value), f"{path} {name}={value}"
        tried += 1
    assert tried >= 3


@pytest.mark.parametrize("path", ["/deliverables/", "/risks/"])
def test_ticking_one_box_of_a_checkbox_group_gives_the_rows_that_box_alone_selects(
    login, seeded_live_server, path
):
    admin = UserFactory(username="filter.admin", is_superuser=True, is_staff=True)
    page = login("filter.admin", PASSWORD)
    page.goto(seeded_live_server.url + path)
    groups = page.eval_on_selector_all(
        ".filters form fieldset input[type=checkbox]", "els => [...new Set(els.map(e => e.name))]"
    )
    assert groups, f"{path} has no checkbox groups"
    for name in groups:
        page.goto(seeded_live_server.url + path)
        boxes = page.locator(f".filters form input[type=checkbox][name='{name}']")
        assert boxes.count() >= 2
        # Nothing ticked to begin with, and every option's label is written out in full.
        assert boxes.evaluate_all("els => els.every(e => !e.checked)"), name
        labels = boxes.evaluate_all("els => els.map(e => e.closest('label').textContent.trim())")
        assert all(labels) and not any(label.endswith(("...", "…")) for label in labels), labels
        value = boxes.nth(1).get_attribute("value")
        with page.expect_response(lambda r, n=name: f"{n}=" in r.url and "/static/" not in r.url):
            boxes.nth(1).check()
        page.wait_for_function(
            "([n, v]) => new URL(location.href).searchParams.getAll(n).includes(v)", arg=[name, value]
        )
        sent = {k: v for k, v in re.findall(r"[?&]([^=&]+)=([^&]*)", page.url) if v}
        assert sent == {name: value}, f"ticking {name}={value} sent {sent}"
        assert _shown(page) == _expected(admin, path, name, value), f"{path} {name}={value}"
        # The filter in force is a chip; following it removes the filter.
        chip = page.locator("#active-filters a.chip")
        assert chip.count() == 1 and labels[1] in chip.inner_text()
        chip.click()
        page.wait_for_load_state()
        assert f"{name}=" not in page.url
        assert page.locator("#active-filters").count() == 0


def test_the_heat_map_filter_sends_only_what_was_chosen(login, seeded_live_server):
    UserFactory(username="filter.admin", is_superuser=True, is_staff=True)
    page = login("filter.admin", PASSWORD)
    page.goto(seeded_live_server.url + "/risks/heatmap/")
    page.select_option(".filters form select[name='status']", "open")
    page.click(".filters form button[type=submit]")
    page.wait_for_load_state()
    sent = {k: v for k, v in re.findall(r"[?&]([^=&]+)=([^&]*)", page.url) if v}
    assert sent == {"status": "open"}
    counts = page.eval_on_selector_all(
        "#heatmap-inherent td[data-count]", "els => els.map(e => Number(e.dataset.count))"
    )
    assert sum(counts) == len(seed_data.risks(status="open")) > 0  # none hidden by another field
