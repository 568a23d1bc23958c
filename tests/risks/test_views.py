import csv
import io
import re
from collections import Counter
from http import HTTPStatus

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.risks.models import BandScheme, Risk, RiskReview
from apps.risks.tables import RiskTable
from tests import seed_data
from tests.factories import bulk_create_batch
from tests.html import parse, write_forms
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db
LIST = reverse("risks:risk_list")
HEATMAP = reverse("risks:heatmap")
SEED_RISKS = seed_data.risks()  # all of them Darlington's
DARLINGTON_RISKS = seed_data.risks("nhs-darlington-ccg")


def _seed(predicate):
    """How many seed risks ``predicate`` holds for, read from the fixture."""
    return sum(1 for r in SEED_RISKS if predicate(r))


def _band(risk, residual=False):
    return seed_data.band(seed_data.rating(risk, residual))


@pytest.fixture
def risk(darlington):
    return Risk.objects.get(organisation=darlington, reference="R2")  # 4 x 4, residual 4 x 3


def _data(risk, **overrides):
    data = {
        "severity": risk.severity,
        "likelihood": risk.likelihood,
        "residual_severity": risk.residual_severity,
        "residual_likelihood": risk.residual_likelihood,
        "mitigation": risk.mitigation,
        "owner": "",
        "next_review_on": "",
        "status": risk.status,
        "note": "Quarterly review.",
        "version": risk.version,
    }
    data.update(overrides)
    return data


def _snapshot(risk):
    risk.refresh_from_db()
    return (
        risk.severity,
        risk.likelihood,
        risk.residual_severity,
        risk.residual_likelihood,
        risk.version,
        risk.mitigation,
        RiskReview.objects.filter(risk=risk).count(),
    )


def _count(response):
    return response.context["table"].paginator.count


def test_list_shows_the_seed_risks_with_rating_and_band_as_text(client, staff_darlington):
    client.force_login(staff_darlington)
    response = client.get(LIST)
    assert _count(response) == len(DARLINGTON_RISKS) > 0
    html = response.content.decode()
    for band in {_band(r) for r in DARLINGTON_RISKS} | {_band(r, True) for r in DARLINGTON_RISKS}:
        assert f'class="badge band-{band}"' in html  # colour class...
        assert band.capitalize() in html  # ...and the band in words
    for risk in DARLINGTON_RISKS:
        assert f">{seed_data.rating(risk)} " in html or f">{seed_data.rating(risk)}<" in html


def test_staff_of_another_organisation_see_none_of_them(client, staff_dorset):
    client.force_login(staff_dorset)
    assert _count(client.get(LIST)) == 0


@pytest.mark.parametrize("column", [c.name for c in RiskTable([]).columns if c.orderable])
@pytest.mark.parametrize("direction", ["", "-"])
def test_every_column_sorts_both_ways(client, admin_user, column, direction):
    client.force_login(admin_user)
    response = client.get(LIST, {"sort": direction + column})
    assert response.status_code == HTTPStatus.OK
    assert _count(response) == len(SEED_RISKS)


def test_a_phone_gets_sort_by_with_every_order_the_headers_give(client, admin_user):
    """The cards hide the headers and their sort links; "Sort by" offers the same orders, in
    words, with the one in force chosen, and keeps the filters (back on the first page)."""
    client.force_login(admin_user)
    html = client.get(LIST, {"band": "extreme", "sort": "next_review_on", "page": "1"}).content.decode()
    form = html[html.index('<form method="get" class="card-sort"') :]
    form = form[: form.index("</form>")]
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]+)</option>', form)
    orderable = [c.name for c in RiskTable([]).columns if c.orderable]
    assert [value for value, _, _ in options] == [f"{d}{c}" for c in orderable for d in ("", "-")]
    assert [label for value, chosen, label in options if chosen] == ["Next review, earliest first"]
    labels = dict((value, label) for value, _, label in options)
    assert labels["-rating"] == "Rating, highest first" and labels["-severity"] == "Severity, highest first"
    assert labels["reference"] == "Ref, A to Z" and labels["-next_review_on"] == "Next review, latest first"
    assert '<input type="hidden" name="band" value="extreme">' in form
    assert 'name="page"' not in form and '<select name="sort" id="risk-table-sort">' in form
    assert '<label for="risk-table-sort">Sort by</label>' in form


def test_sort_by_rating_puts_the_highest_first(client, admin_user):
    client.force_login(admin_user)
    rows = client.get(LIST, {"sort": "-rating"}).context["table"].page.object_list
    ratings = [row.record.rating for row in rows]
    assert ratings == sorted((seed_data.rating(r) for r in SEED_RISKS), reverse=True)
    assert ratings[0] > ratings[-1]  # the seed has ratings to sort (R5's slip row: 4 x 4 = 16)


@pytest.mark.parametrize(
    "params, holds",
    [
        ({"band": ["extreme"]}, lambda r: _band(r) == "extreme"),
        ({"residual_band": ["high"]}, lambda r: _band(r, True) == "high"),
        ({"residual_band": ["extreme"]}, lambda r: _band(r, True) == "extreme"),
        ({"residual_band": ["high", "extreme"]}, lambda r: _band(r, True) in ("high", "extreme")),
        ({"category": "strategic delivery"}, lambda r: r["category"].lower() == "strategic delivery"),
        (
            {"q": "constitution"},
            lambda r: any(
                word.startswith("constitution")
                for f in ("reference", "description", "mitigation", "category")
                for word in re.findall(r"\w+", r[f].lower())
            ),
        ),
        ({"status": "open"}, lambda r: r["status"] == "open"),
        (
            {"review_overdue": "true"},
            lambda r: (
                r["status"] == "open"
                and bool(r["next_review_on"])
                and r["next_review_on"] < timezone.localdate().isoformat()
            ),
        ),
    ],
)
def test_filters(client, admin_user, params, holds):
    client.force_login(admin_user)
    assert _count(client.get(LIST, params)) == _seed(holds)


@pytest.mark.parametrize(
    "params", [{"band": ["extreme"]}, {"category": "Strategic Delivery"}, {"q": "constitution"}]
)
def test_the_seed_gives_each_filter_something_to_find(client, admin_user, params):
    client.force_login(admin_user)
    assert 0 < _count(client.get(LIST, params))


def _body(response):
    return b"".join(response.streaming_content)


def test_exports_match_the_filter(client, admin_user):
    client.force_login(admin_user)
    response = client.get(LIST, {"residual_band": ["high"], "_export": "csv"})
    rows = list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))
    assert len(rows) - 1 == _seed(lambda r: _band(r, True) == "high") > 0
    assert "Rating" in rows[0]
    sheet = openpyxl.load_workbook(io.BytesIO(_body(client.get(LIST, {"_export": "xlsx"})))).worksheets[0]
    assert sheet.max_row - 1 == len(SEED_RISKS)


def test_heatmap_counts_equal_the_lists_filtered_counts(client, admin_user):
    client.force_login(admin_user)
    response = client.get(HEATMAP)
    grids = response.context["grids"]
    assert grids["inherent"]["total"] == grids["residual"]["total"] == len(SEED_RISKS)
    for kind in ("inherent", "residual"):
        for row in grids[kind]["rows"]:
            for cell in row["cells"]:
                if cell["count"]:
                    listed = client.get(f"{LIST}?{cell['query']}")
                    assert _count(listed) == cell["count"], (kind, cell["severity"], cell["likelihood"])
    inherent = {
        (c["severity"], c["likelihood"]): c["count"] for r in grids["inherent"]["rows"] for c in r["cells"]
    }
    cells = Counter((r["severity"], r["likelihood"]) for r in SEED_RISKS)
    assert {cell: n for cell, n in inherent.items() if n} == cells


@pytest.mark.parametrize("who", ["admin_user", "staff_darlington"])
def test_a_heat_map_drawn_before_is_served_without_reading_a_risk(client, request, who):
    """Its HTML is cached per viewer and address: a second request reads no risk, no band
    scheme and builds no filter (the page's work happens only when it is drawn), and says the
    same; a risk changed in between is drawn afresh."""
    client.force_login(request.getfixturevalue(who))
    url = f"{HEATMAP}?status=open"
    first = client.get(url)
    assert first.status_code == HTTPStatus.OK and 'id="heatmap-inherent"' in first.content.decode()
    with CaptureQueriesContext(connection) as warm:
        again = client.get(url)
    read = [q["sql"] for q in warm.captured_queries if "risks_" in q["sql"]]
    assert not read, read
    assert _map(again) == _map(first)
    changed = Risk.objects.filter(status=Risk.Status.OPEN).exclude(severity=5, likelihood=5).order_by("pk")[0]
    Risk.objects.filter(pk=changed.pk).update(severity=5, likelihood=5)  # (its residual stays below)
    with CaptureQueriesContext(connection) as after_write:
        redrawn = client.get(url)
    assert any("risks_risk" in q["sql"] for q in after_write.captured_queries)
    assert _map(redrawn) != _map(first)


def _map(response):
    """The heat map's own HTML (the page around it carries a nonce of its own each request)."""
    html = response.content.decode()
    return html[html.index("<h1>Risk heat map") : html.index("All these risks in a table")]


def test_heatmap_keeps_the_list_filters_in_its_links(client, admin_user):
    client.force_login(admin_user)
    response = client.get(HEATMAP, {"category": "Strategic Delivery"})
    assert response.context["grids"]["inherent"]["total"] == _seed(
        lambda r: r["category"] == "Strategic Delivery"
    )
    assert "category=Strategic+Delivery" in response.content.decode()


def test_heatmap_is_readable_without_colour_and_by_keyboard(client, admin_user):
    client.force_login(admin_user)
    html = client.get(HEATMAP).content.decode()
    risk = SEED_RISKS[0]
    severity, likelihood, band = risk["severity"], risk["likelihood"], _band(risk).capitalize()
    n = _seed(lambda r: (r["severity"], r["likelihood"]) == (severity, likelihood))
    label = f"Severity {severity}, likelihood {likelihood}: {n} risk{'s' if n > 1 else ''}"
    assert f'aria-label="{label}, rating {severity * likelihood}, {band}"' in html
    assert f"{severity * likelihood} {band}" in html and "<caption" in html


@pytest.mark.parametrize("url", [LIST, HEATMAP])
def test_query_count_stays_fixed_from_10_to_1000_risks(
    client, admin_user, darlington, url, django_assert_max_num_queries
):
    client.force_login(admin_user)
    RiskFactory.create_batch(10, organisation=darlington)
    client.get(url)
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(20) as baseline:
        client.get(url)
    bulk_create_batch(RiskFactory, 990, organisation=darlington)
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        assert client.get(url).status_code == HTTPStatus.OK


def test_staff_review_lowers_residual_likelihood(client, staff_darlington, risk):
    client.force_login(staff_darlington)
    assert b'id="review-form"' in client.get(risk.get_absolute_url()).content
    response = client.post(
        risk.get_absolute_url(), _data(risk, residual_likelihood=2, note="Controls now working.")
    )
    assert response.status_code == HTTPStatus.FOUND
    risk.refresh_from_db()
    assert risk.residual_likelihood == 2
    review = RiskReview.objects.get(risk=risk)
    assert (review.residual_rating_before, review.residual_rating_after, review.reviewed_by) == (
        12,
        8,
        staff_darlington,
    )
    assert "Controls now working." in client.get(risk.get_absolute_url()).content.decode()


def test_governing_body_member_sees_no_review_form(client, dorset, board_dorset, staff_dorset):
    """Dorset's board reads a Dorset risk, with its history, and is offered no way to change it:
    no form that posts, no review field, no HTMX write; a forged review is refused (403) and
    changes nothing. The same page shows Dorset's staff the form, so the check can see one."""
    dorset_risk = RiskFactory(organisation=dorset, severity=4, likelihood=4, residual_severity=3)
    url = dorset_risk.get_absolute_url()
    logout = reverse("logout")

    client.force_login(staff_dorset)
    staff_forms = write_forms(client.get(url), except_action=logout)
    assert len(staff_forms) == 1 and {"version", "note", "residual_likelihood"} <= set(staff_forms[0].fields)

    client.force_login(board_dorset)
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert dorset_risk.description in response.content.decode()
    assert response.context["form"] is None
    assert write_forms(response, except_action=logout) == []
    page = parse(response)
    assert page.writers == []
    assert [f.action for f in page.forms if f.method == "post"] == [logout]  # the log-out button only
    assert b"Record review" not in response.content and b'id="review-form"' not in response.content

    before = _snapshot(dorset_risk)
    response = client.post(url, _data(dorset_risk, residual_likelihood=1, note="Board says so."))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _snapshot(dorset_risk) == before


@pytest.mark.parametrize(
    "who, expected",
    [
        ("staff_dorset", HTTPStatus.NOT_FOUND),
        ("no_role_user", HTTPStatus.NOT_FOUND),
        (None, HTTPStatus.FOUND),
    ],
)
def test_forged_reviews_are_refused_and_change_nothing(request, client, risk, who, expected):
    if who:
        client.force_login(request.getfixturevalue(who))
    before = _snapshot(risk)
    response = client.post(reverse("risks:risk_detail", args=[risk.pk]), _data(risk, residual_likelihood=1))
    assert response.status_code == expected
    assert _snapshot(risk) == before


def test_darlington_governing_body_member_is_refused_with_403(client, darlington, risk):
    from apps.organisations.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    board = UserFactory(username="board.darlington")
    MembershipFactory(user=board, organisation=darlington, role=Membership.Role.GOVERNING_BODY)
    client.force_login(board)
    assert b'id="review-form"' not in client.get(risk.get_absolute_url()).content
    before = _snapshot(risk)
    assert client.post(risk.get_absolute_url(), _data(risk, residual_likelihood=1)).status_code == 403
    assert _snapshot(risk) == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"severity": 6}, "severity"),
        ({"likelihood": 0}, "likelihood"),
        ({"residual_severity": "five"}, "residual_severity"),
        ({"residual_severity": 5, "residual_likelihood": 4}, "__all__"),  # 20 > 16: the model's constraint
        ({"note": ""}, "note"),
        ({"note": "x" * 2001}, "note"),
        ({"next_review_on": "someday"}, "next_review_on"),
        ({"status": "archived"}, "status"),
    ],
)
def test_bad_review_input_is_a_form_error_and_saves_nothing(client, staff_darlington, risk, overrides, field):
    client.force_login(staff_darlington)
    before = _snapshot(risk)
    response = client.post(risk.get_absolute_url(), _data(risk, **overrides))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["form"].errors
    assert _snapshot(risk) == before


def test_stale_review_is_refused_with_the_current_values(client, staff_darlington, risk):
    client.force_login(staff_darlington)
    first, second = _data(risk, residual_likelihood=2), _data(risk, residual_likelihood=1, note="stale")
    assert client.post(risk.get_absolute_url(), first).status_code == HTTPStatus.FOUND
    response = client.post(risk.get_absolute_url(), second)
    assert response.status_code == HTTPStatus.CONFLICT
    assert b"Someone else reviewed this risk" in response.content
    risk.refresh_from_db()
    assert risk.residual_likelihood == 2


def test_admin_changes_band_edges_and_the_list_follows(client, admin_user):
    client.force_login(admin_user)
    scheme = BandScheme.current()
    response = client.post(
        reverse("admin:risks_bandscheme_change", args=[scheme.pk]),
        {"low_max": 4, "moderate_max": 9, "high_max": 16},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert _count(client.get(LIST, {"band": ["extreme"]})) == _seed(lambda r: seed_data.rating(r) > 16)
    assert _count(client.get(LIST, {"band": ["high"]})) == _seed(lambda r: 9 < seed_data.rating(r) <= 16) > 0
