"""Charts and tables that say what they mean: every dataset is one colour (so the legend shows
what is drawn), labels wrap and are never cut, count axes step in whole numbers; a dashboard
without risks says so instead of drawing two empty heat maps; a skip menu leads to each section."""

import json
import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.dashboards.charts import LABEL_WIDTH, wrap
from tests.plans.factories import DeliverableFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def _charts(response):
    html = response.content.decode()
    return {
        name: json.loads(body)
        for name, body in re.findall(
            r'<script id="chart-(\w+)" type="application/json">(.*?)</script>', html, re.S
        )
    }


def _joined(label):
    return " ".join(label) if isinstance(label, list) else label


def test_wrap_keeps_every_word_in_lines_of_the_width():
    title = "Partnerships and Engagement/relationship management with every stakeholder of the CCG"
    lines = wrap(title)
    assert isinstance(lines, list) and len(lines) > 1
    assert " ".join(lines) == title
    # A line is at most LABEL_WIDTH characters, unless it is one word longer than that.
    assert all(len(line) <= LABEL_WIDTH or " " not in line for line in lines)
    assert "Engagement/relationship" in lines  # a long word is kept whole, never cut
    assert wrap("Short") == "Short"


def test_charts_show_whole_labels_one_colour_a_dataset_and_whole_counts(client, admin_user, darlington):
    plan = darlington.plans.get()
    long_title = "A theme whose title is far longer than fifty characters, as some plans' titles are"
    DeliverableFactory(theme=ThemeFactory(plan=plan, number=99, title=long_title), position=1)
    client.force_login(admin_user)
    charts = _charts(client.get(reverse("dashboards:organisation", args=[darlington.slug])))
    assert {"themes", "bands"} <= set(charts)

    themes = charts["themes"]
    labels = [_joined(label) for label in themes["data"]["labels"]]
    assert f"99. {long_title}" in labels  # whole, in lines
    for theme in plan.themes.all():
        assert f"{theme.number}. {theme.title}" in labels
    assert themes["options"]["scales"]["y"]["ticks"]["autoSkip"] is False  # no label left out

    for name, chart in charts.items():
        for dataset in chart["data"]["datasets"]:
            # One colour a dataset: the legend's swatch is the colour of every bar.
            assert isinstance(dataset["backgroundColor"], str), (name, dataset["label"])
    bands = charts["bands"]
    assert [d["label"] for d in bands["data"]["datasets"]] == [
        "Inherent (before mitigation)",
        "Residual (after mitigation)",
    ]
    assert bands["data"]["labels"] == ["Low", "Moderate", "High", "Extreme"]  # the band is the label
    assert bands["options"]["scales"]["y"]["ticks"]["precision"] == 0
    assert themes["options"]["scales"]["x"]["ticks"]["precision"] == 0


def test_a_dashboard_without_risks_says_so_instead_of_empty_heat_maps(client, board_dorset, dorset):
    client.force_login(board_dorset)
    html = client.get(reverse("dashboards:organisation", args=[dorset.slug])).content.decode()
    assert 'id="heatmap-empty"' in html and "No risks are recorded for NHS Dorset CCG" in html
    assert 'id="heatmap-inherent"' not in html


def test_the_heat_map_page_without_matching_risks_says_so(client, admin_user, dorset, darlington):
    client.force_login(admin_user)
    empty = client.get(reverse("risks:heatmap"), {"q": "no such risk"}).content.decode()
    assert 'id="heatmap-empty"' in empty and 'id="heatmap-inherent"' not in empty
    # A filter the form rejects (Dorset has no risks, so it is no choice) says so and maps nothing.
    refused = client.get(reverse("risks:heatmap"), {"organisation": dorset.pk}).content.decode()
    assert 'id="id_organisation_error"' in refused and 'id="heatmap-empty"' in refused
    full = client.get(reverse("risks:heatmap"), {"organisation": darlington.pk}).content.decode()
    assert 'id="heatmap-inherent"' in full and 'id="heatmap-empty"' not in full


def test_the_dashboard_has_a_skip_menu_to_every_section(client, board_dorset, dorset):
    client.force_login(board_dorset)
    html = client.get(reverse("dashboards:organisation", args=[dorset.slug])).content.decode()
    menu = html[html.index('class="jump-menu') : html.index("</nav>", html.index('class="jump-menu'))]
    targets = re.findall(r'href="#([\w-]+)"', menu)
    assert len(targets) >= 10
    for target in targets:
        assert f'id="{target}"' in html, f"the skip menu points at #{target}, which is not on the page"
    # The theme table is a few keystrokes away, not forty.
    assert "themes-heading" in targets


def test_organisation_page_links_its_dashboard_and_names_the_ccgs_recorded(client, board_dorset):
    client.force_login(board_dorset)
    response = client.get(reverse("organisations:organisation_detail", args=["wessex"]))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'href="/dashboard/wessex/"' not in html  # Wessex lies above Dorset: not this member's
    count = re.search(r'<dd id="ccg-count">(.*?)</dd>', html, re.S).group(1)
    assert count.startswith("9 (published figure).")
    assert "Recorded in ccgtrack: 1 of them" in count and "NHS Dorset CCG" in count
    own = client.get(reverse("organisations:organisation_detail", args=["nhs-dorset-ccg"])).content.decode()
    assert 'id="dashboard-link" href="/dashboard/nhs-dorset-ccg/"' in own or (
        'href="/dashboard/nhs-dorset-ccg/" id="dashboard-link"' in own
    )
    assert "<dt>Population</dt><dd>Not recorded</dd>" in own
