"""The filter panel people can use: checkbox groups in a fieldset instead of Ctrl-click
multi-selects, two labelled date inputs for a range, a month input whose error names the format,
owners listed by name, no label without its control, and the filters in force as a line of chips,
each a link that removes it, with a clear-all."""

import html as html_lib
import re
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from apps.plans.models import Deliverable
from tests.plans.factories import DeliverableFactory

pytestmark = pytest.mark.django_db
LIST = reverse("plans:deliverable_list")


def _panel(html):
    return html[html.index('id="filters"') : html.index("</details>", html.index('id="filters"'))]


def _chips(html):
    if 'id="active-filters"' not in html:
        return []
    line = html[html.index('id="active-filters"') : html.index("</ul>", html.index('id="active-filters"'))]
    return [
        (html_lib.unescape(href), " ".join(text.split()))
        for href, text in re.findall(r'<a class="chip" href="([^"]*)"><span>(.*?)</span>', line)
    ]


def test_every_label_names_a_control_and_groups_have_a_legend(client, admin_user):
    client.force_login(admin_user)
    panel = _panel(client.get(LIST).content.decode())
    ids = set(re.findall(r'\bid="([^"]+)"', panel))
    for target in re.findall(r'<label for="([^"]*)"', panel):
        assert target in ids, f"a label points at #{target!r}, which is not in the form"
    assert '<select name="status"' not in panel and "multiple" not in panel  # no Ctrl-click lists
    assert "<legend>Status</legend>" in panel and 'type="checkbox" name="status"' in panel
    assert "<legend>Deadline between</legend>" in panel
    assert re.search(
        r'<label for="id_deadline_0">From</label><input type="date" name="deadline_after"', panel
    )
    assert re.search(r'<label for="id_deadline_1">To</label><input type="date" name="deadline_before"', panel)
    assert 'type="month" name="delivered_month"' in panel
    assert 'type="hidden" name="within"' in panel and ">Within (organisation" not in panel


def test_a_bad_month_is_an_error_that_names_the_format(client, admin_user):
    client.force_login(admin_user)
    response = client.get(LIST, {"delivered_month": "March 2013"})
    assert response.status_code == HTTPStatus.OK
    panel = _panel(response.content.decode())
    assert "<details" in response.content.decode() and 'id="filters" data-fold-on-phones open' in (
        response.content.decode()
    )  # open, so the error is seen
    error = re.search(r'<div class="errorlist" id="id_delivered_month_error">(.*?)</div>', panel).group(1)
    assert "YYYY-MM" in error and "2013-03" in error
    assert 'aria-describedby="id_delivered_month_error"' in panel
    assert client.get(LIST, {"delivered_month": "2013-03"}).context["filter"].form.is_valid()


def test_owners_are_listed_by_name(client, admin_user, dorset, staff_dorset):
    staff_dorset.first_name, staff_dorset.last_name = "Erin", "Parson"
    staff_dorset.save()
    theme = dorset.plans.get().themes.first()
    DeliverableFactory(theme=theme, owner=staff_dorset, position=999)
    client.force_login(admin_user)
    panel = _panel(client.get(LIST).content.decode())
    owner = panel[panel.index('name="owner"') : panel.index("</select>", panel.index('name="owner"'))]
    assert f'<option value="{staff_dorset.pk}">Erin Parson</option>' in owner


def test_the_filters_in_force_are_chips_that_each_remove_one(client, admin_user, dorset):
    client.force_login(admin_user)
    params = {"status": ["in_progress", "not_started"], "overdue": "true", "within": dorset.pk, "page": "1"}
    html = client.get(LIST, params).content.decode()
    chips = dict((text, href) for href, text in _chips(html))
    assert set(chips) == {
        "Status: In progress",
        "Status: Not started",
        "Overdue: Yes",
        "Within (organisation and beneath): NHS Dorset CCG",
    }
    left = parse_qs(urlsplit(chips["Status: In progress"]).query)
    assert left == {
        "status": ["not_started"],
        "overdue": ["true"],
        "within": [str(dorset.pk)],
    }  # back on page 1
    assert parse_qs(urlsplit(chips["Overdue: Yes"]).query) == {
        "status": ["in_progress", "not_started"],
        "within": [str(dorset.pk)],
    }
    assert f'<a class="clear-all" href="{LIST}">Clear all filters</a>' in html
    # With filters in force the panel folds to its summary; the chips say what is set.
    assert 'id="filters" data-fold-on-phones open' not in html
    # Following a chip gives the rows of the filters that are left.
    remaining = client.get(chips["Status: In progress"]).context["table"].paginator.count
    expected = (
        Deliverable.objects.filter(theme__plan__organisation=dorset, status="not_started").overdue().count()
    )
    assert remaining == expected


def test_no_chips_and_an_open_panel_without_filters(client, admin_user):
    client.force_login(admin_user)
    html = client.get(LIST).content.decode()
    assert _chips(html) == [] and 'id="active-filters"' not in html
    assert 'id="filters" data-fold-on-phones open' in html


def test_htmx_answers_redraw_the_chips_with_the_rows(client, admin_user):
    client.force_login(admin_user)
    response = client.get(LIST, {"overdue": "true"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="table-region">')
    assert [text for _, text in _chips(html)] == ["Overdue: Yes"]
