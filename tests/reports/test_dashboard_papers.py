"""The organisation dashboard lists the papers issued beneath it and draws the trend over the
papers that stand: % delivered, overdue and red risks, as each paper reported them."""

import json
import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.reports.models import IssuedPaper
from tests.reports.helpers import issue, move_meeting
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


def test_the_dashboard_lists_papers_and_draws_the_trend(
    client, staff_dorset, board_dorset, dorset, small_plan
):
    url = reverse("dashboards:organisation", args=[dorset.slug])
    client.force_login(board_dorset)
    assert b'id="no-issued-papers"' in client.get(url).content

    client.force_login(staff_dorset)
    first = issue(client, small_plan)
    move_meeting(small_plan, staff_dorset, "2026-03-18")
    RiskFactory(organisation=dorset, severity=5, likelihood=5, residual_severity=5, residual_likelihood=4)
    second = issue(client, small_plan)
    correction = issue(client, small_plan, correction_note="One figure was wrong.")

    client.force_login(board_dorset)
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    listed = re.findall(r'<li data-paper="(\d+)">', html)
    assert listed == [str(correction.pk), str(second.pk), str(first.pk)]  # latest first
    assert "Superseded by paper 3" in html
    trend = re.findall(r'<tr class="trend-row" data-paper="(\d+)">', html)
    assert trend == [str(first.pk), str(correction.pk)]  # the papers that stand, oldest first
    chart = json.loads(
        re.search(r'<script id="chart-paper-trend" type="application/json">(.*?)</script>', html, re.S).group(
            1
        )
    )
    assert chart["data"]["labels"] == ["14/01/2026", "18/03/2026"]
    delivered, overdue, red = (d["data"] for d in chart["data"]["datasets"])
    for position, paper in enumerate((first, correction)):
        paper = IssuedPaper.objects.get(pk=paper.pk)
        totals = paper.snapshot["totals"]
        assert (
            delivered[position]
            == round(100 * totals["delivered"] / totals["total"], 1)
            == paper.delivered_pct
        )
        assert overdue[position] == totals["overdue"] == paper.overdue_count
        red_in_snapshot = [
            r for r in paper.snapshot["risks"] if r["status"] == "open" and r["band"] == "extreme"
        ]
        assert red[position] == len(red_in_snapshot) == paper.red_risk_count
    assert red == [0, 1]
    assert 'data-chart="chart-paper-trend"' in html and "<canvas" in html
    assert f'href="{url}?as_at={timezone.localtime(first.read_at).date().isoformat()}"' in html
    # The rest of the dashboard is as it was: its headline figures do not count papers.
    assert 'id="stat-total"' in html and 'id="heatmap-heading"' in html


def test_other_organisations_dashboards_do_not_list_the_papers(
    client, staff_dorset, admin_user, small_plan, darlington
):
    client.force_login(staff_dorset)
    issue(client, small_plan)
    client.force_login(admin_user)
    html = client.get(reverse("dashboards:organisation", args=[darlington.slug])).content.decode()
    assert 'id="no-issued-papers"' in html
