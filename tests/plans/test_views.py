import csv
import io
import re
from decimal import Decimal
from http import HTTPStatus

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from apps.core.views import FilteredTableView
from apps.plans.models import AuthorisationDomain, Deliverable, ODPlan, StatusUpdate
from apps.plans.tables import DeliverableTable
from tests import seed_data
from tests.factories import bulk_create_batch
from tests.plans.factories import DeliverableFactory, ThemeFactory

pytestmark = pytest.mark.django_db
LIST = reverse("plans:deliverable_list")
PAGE = FilteredTableView.paginate_by
DORSET = seed_data.deliverables("nhs-dorset-ccg")


@pytest.fixture
def dorset_plan(dorset):
    return ODPlan.objects.get(organisation=dorset)


@pytest.fixture
def deliverable(dorset):
    return (
        Deliverable.objects.filter(theme__plan__organisation=dorset, status="in_progress")
        .order_by("pk")
        .first()
    )


def _form_data(deliverable, **overrides):
    data = {
        "status": deliverable.status,
        "note": "",
        "delivered_narrative": deliverable.delivered_narrative,
        "in_progress_narrative": deliverable.in_progress_narrative,
        "owner": "",
        "deadline": deliverable.deadline.isoformat() if deliverable.deadline else "",
        "version": deliverable.version,
    }
    data.update(overrides)
    return data


def _snapshot(deliverable):
    deliverable.refresh_from_db()
    return (
        deliverable.status,
        deliverable.version,
        deliverable.delivered_narrative,
        deliverable.in_progress_narrative,
        deliverable.deadline,
        StatusUpdate.objects.filter(deliverable=deliverable).count(),
    )


# --- Pages --------------------------------------------------------------------------------


def test_plan_page_shows_themes_objectives_deliverables_and_progress(client, board_dorset, dorset_plan):
    client.force_login(board_dorset)
    response = client.get(dorset_plan.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    themes = seed_data.records("plans.theme", plan=dorset_plan.pk)
    assert html.count('id="theme-') >= len(themes) > 0
    for theme in themes:
        assert escape(theme["title"]) in html
    for deliverable in DORSET:
        assert f'href="{reverse("plans:deliverable_detail", args=[deliverable["pk"]])}"' in html
    assert html.count('class="badge status-') >= len(DORSET)
    assert 'id="theme-progress"' in html


def test_plan_of_another_organisation_is_a_404(client, staff_dorset, darlington):
    client.force_login(staff_dorset)
    plan = ODPlan.objects.get(organisation=darlington)
    assert client.get(plan.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_list_shows_only_what_the_user_may_see(client, staff_dorset):
    client.force_login(staff_dorset)
    response = client.get(LIST)
    assert response.context["table"].paginator.count == len(DORSET) > 0


def test_admin_sees_every_deliverable(client, admin_user):
    client.force_login(admin_user)
    assert client.get(LIST).context["table"].paginator.count == len(seed_data.deliverables()) > len(DORSET)


@pytest.mark.parametrize("column", [c.name for c in DeliverableTable([]).columns if c.orderable])
@pytest.mark.parametrize("direction", ["", "-"])
def test_every_column_sorts_both_ways(client, admin_user, column, direction):
    client.force_login(admin_user)
    response = client.get(LIST, {"sort": direction + column})
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["table"].page.object_list) == min(PAGE, len(seed_data.deliverables()))


def test_filters_combine(client, admin_user, darlington):
    client.force_login(admin_user)
    domain = AuthorisationDomain.objects.get(number=1)  # by number: its pk is not fixed by the fixture
    response = client.get(
        LIST, {"organisation": darlington.pk, "status": ["not_started"], "domain": domain.pk}
    )
    expected = Deliverable.objects.filter(
        theme__plan__organisation=darlington, status="not_started", domains__number=1
    )
    assert response.context["table"].paginator.count == expected.count() > 0


def test_search_covers_narratives(client, admin_user):
    client.force_login(admin_user)
    response = client.get(LIST, {"q": "Hot Topics", "per_page": 200})
    found = {row.record.pk for row in response.context["table"].page.object_list}
    in_narratives = set(
        Deliverable.objects.filter(delivered_narrative__icontains="Hot Topics").values_list("pk", flat=True)
    )
    assert in_narratives and in_narratives <= found


def test_overdue_filter_and_deadline_range(client, admin_user):
    client.force_login(admin_user)
    overdue = client.get(LIST, {"overdue": "true"}).context["table"].paginator.count
    assert overdue == Deliverable.objects.overdue().count() > 0
    in_range = client.get(LIST, {"deadline_after": "2012-10-01", "deadline_before": "2012-10-31"})
    assert (
        in_range.context["table"].paginator.count
        == Deliverable.objects.filter(deadline__range=("2012-10-01", "2012-10-31")).count()
        > 0
    )


def test_a_bad_filter_value_is_a_form_error_not_a_500(client, admin_user):
    client.force_login(admin_user)
    response = client.get(LIST, {"deadline_after": "not-a-date", "status": "nonsense"})
    assert response.status_code == HTTPStatus.OK
    assert response.context["filter"].form.errors


def _body(response):
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("params", [{}, {"status": ["in_progress"]}, {"q": "leadership"}])
def test_csv_export_rows_match_the_filter(client, admin_user, params):
    client.force_login(admin_user)
    expected = client.get(LIST, params).context["table"].paginator.count
    response = client.get(LIST, {**params, "_export": "csv"})
    rows = list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))
    assert len(rows) - 1 == expected
    assert rows[0][:1] == ["ID"] and "Deliverable / action" in rows[0]


def test_xlsx_export_rows_match_the_filter(client, admin_user, darlington):
    client.force_login(admin_user)
    response = client.get(LIST, {"organisation": darlington.pk, "_export": "xlsx"})
    assert response.status_code == HTTPStatus.OK
    sheet = openpyxl.load_workbook(io.BytesIO(_body(response))).worksheets[0]
    assert sheet.max_row - 1 == len(seed_data.deliverables("nhs-darlington-ccg")) > 0


@pytest.mark.parametrize("path_name", ["plans:deliverable_list", "plans:plan_detail"])
def test_query_count_stays_fixed_from_20_to_2000_deliverables(
    client, staff_dorset, dorset, path_name, django_assert_max_num_queries
):
    theme = ThemeFactory(plan=ODPlan.objects.get(organisation=dorset), number=99)
    url = reverse(path_name) if path_name.endswith("list") else theme.plan.get_absolute_url()
    client.force_login(staff_dorset)
    DeliverableFactory.create_batch(20, theme=theme)
    client.get(url)
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(25) as baseline:
        client.get(url)
    bulk_create_batch(DeliverableFactory, 1980, theme=theme)
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK


def test_list_paginates(client, admin_user):
    client.force_login(admin_user)
    total = len(seed_data.deliverables())
    assert total > PAGE  # the seed fills more than one page
    response = client.get(LIST, {"page": 2})
    assert len(response.context["table"].page.object_list) == min(PAGE, total - PAGE)


def _domain_rows(html):
    table = html[html.index('id="domain-scores"') :]
    body = table[table.index("<tbody") : table.index("</tbody>")]
    # Each cell's heading for the phone's cards (aria-hidden) is not its value.
    body = re.sub(r'<span class="nhsuk-table__heading" aria-hidden="true">.*?</span>', "", body)
    body = re.sub(r'<div class="cell-value">', "", body)
    cells = re.findall(r"<tr[^>]*>\s*<th[^>]*>(\d+)\.(.*?)</th>(.*?)</tr>", body, re.S)
    return {
        int(number): [
            re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", rest)
        ]
        for number, _, rest in cells
    }


def test_self_assessment_page(client, admin_user, darlington):
    """Per domain: the seed's score, the maturity level it falls in (a score on a boundary counts
    in the higher level), and the deliverables serving it, delivered and overdue."""
    client.force_login(admin_user)
    response = client.get(reverse("plans:self_assessment", args=[darlington.slug]))
    assert response.status_code == HTTPStatus.OK
    rows = _domain_rows(response.content.decode())
    levels = sorted(seed_data.records("plans.maturitylevel"), key=lambda level: level["lower_percent"])
    scores = {
        s["domain"][0]: Decimal(s["score_percent"]) for s in seed_data.records("plans.selfassessmentscore")
    }
    plan = seed_data.deliverables("nhs-darlington-ccg")
    today = timezone.localdate().isoformat()
    domains = seed_data.records("plans.authorisationdomain")
    assert sorted(rows) == sorted(d["number"] for d in domains) and scores
    for domain in domains:
        score = scores.get(domain["number"])
        level = [lv for lv in levels if score is not None and score >= lv["lower_percent"]][-1:]
        tagged = [d for d in plan if [domain["number"]] in d["domains"]]
        overdue = [
            d
            for d in tagged
            if d["deadline"] and d["deadline"] < today and d["status"] not in seed_data.DELIVERED
        ]
        assert rows[domain["number"]] == [
            f"{score.normalize():f}%" if score is not None else "—",
            f"{level[0]['level']}. {level[0]['label']}" if level else "—",
            str(len(tagged)),
            str(len(seed_data.delivered(tagged))),
            str(len(overdue)),
        ], domain["name"]


def test_self_assessment_of_an_invisible_organisation_is_refused(client, staff_dorset, darlington):
    client.force_login(staff_dorset)
    assert (
        client.get(reverse("plans:self_assessment", args=[darlington.slug])).status_code
        == HTTPStatus.FORBIDDEN
    )


# --- Writes: permission matrix -------------------------------------------------------------


def test_owner_staff_see_the_update_form_and_can_save(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    page = client.get(deliverable.get_absolute_url())
    assert b'id="update-form"' in page.content
    response = client.post(
        deliverable.get_absolute_url(), _form_data(deliverable, status="delivered", note="Done and dusted.")
    )
    assert response.status_code == HTTPStatus.FOUND
    deliverable.refresh_from_db()
    assert deliverable.status == "delivered"
    history = client.get(deliverable.get_absolute_url()).content.decode()
    assert "Done and dusted." in history


def test_governing_body_member_sees_no_edit_controls(client, board_dorset, deliverable):
    client.force_login(board_dorset)
    page = client.get(deliverable.get_absolute_url())
    assert page.status_code == HTTPStatus.OK
    assert b'id="update-form"' not in page.content
    listing = client.get(LIST)
    assert b"Change status" not in listing.content


@pytest.mark.parametrize(
    "who, expected",
    [
        ("board_dorset", HTTPStatus.FORBIDDEN),
        ("staff_darlington", HTTPStatus.NOT_FOUND),  # cannot even see it
        ("no_role_user", HTTPStatus.NOT_FOUND),
        (None, HTTPStatus.FOUND),  # anonymous: to the login page
    ],
)
@pytest.mark.parametrize("url_name", ["plans:deliverable_detail", "plans:deliverable_status"])
def test_forged_posts_are_refused_and_change_nothing(request, client, deliverable, who, expected, url_name):
    if who:
        client.force_login(request.getfixturevalue(who))
    before = _snapshot(deliverable)
    response = client.post(
        reverse(url_name, args=[deliverable.pk]), _form_data(deliverable, status="delivered", note="forged")
    )
    assert response.status_code == expected
    if who is None:
        assert reverse("login") in response["Location"]
    assert _snapshot(deliverable) == before


# --- Bad input and conflicts ---------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"status": "finished", "note": "x"}, "status"),
        ({"deadline": "31/02/2013"}, "deadline"),
        ({"deadline": "next week"}, "deadline"),
        ({"note": "x" * 2001, "status": "delivered"}, "note"),
        ({"status": "delivered", "note": ""}, "note"),
        ({"version": "abc"}, "version"),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(client, staff_dorset, deliverable, overrides, field):
    client.force_login(staff_dorset)
    before = _snapshot(deliverable)
    response = client.post(deliverable.get_absolute_url(), _form_data(deliverable, **overrides))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["form"].errors
    assert b"Nothing was saved" in response.content
    assert _snapshot(deliverable) == before


def test_second_editor_with_a_stale_version_gets_a_clear_message_and_current_values(
    client, staff_dorset, deliverable
):
    client.force_login(staff_dorset)
    first = _form_data(deliverable, status="delivered", note="first editor")
    second = _form_data(
        deliverable, status="not_started", note="second editor", in_progress_narrative="overwrite attempt"
    )
    assert client.post(deliverable.get_absolute_url(), first).status_code == HTTPStatus.FOUND
    response = client.post(deliverable.get_absolute_url(), second)
    assert response.status_code == HTTPStatus.CONFLICT
    assert b"Someone else saved this deliverable" in response.content
    assert response.context["form"].initial["status"] == "delivered"
    deliverable.refresh_from_db()
    assert deliverable.status == "delivered" and deliverable.in_progress_narrative != "overwrite attempt"


def test_in_place_status_change_through_htmx(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    listing = client.get(LIST)
    assert b"Change status" in listing.content
    response = client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"status": "delivered", "note": "Closed at the review.", "version": deliverable.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == HTTPStatus.OK
    assert b"Saved" in response.content and b"status-delivered" in response.content
    assert b'hx-swap-oob="true"' in response.content
    deliverable.refresh_from_db()
    assert deliverable.status == "delivered"
    assert StatusUpdate.objects.get(deliverable=deliverable).note == "Closed at the review."


def test_in_place_status_change_without_note_is_refused(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    before = _snapshot(deliverable)
    response = client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"status": "delivered", "note": "", "version": deliverable.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"progress note" in response.content
    assert _snapshot(deliverable) == before


def test_in_place_status_change_with_unknown_status_or_stale_version(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    url = reverse("plans:deliverable_status", args=[deliverable.pk])
    bad = client.post(
        url, {"status": "done", "note": "x", "version": deliverable.version}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    stale = client.post(
        url,
        {"status": "delivered", "note": "x", "version": deliverable.version - 1 or 99},
        HTTP_HX_REQUEST="true",
    )
    assert stale.status_code == HTTPStatus.CONFLICT
    assert b"Someone else changed" in stale.content


def test_get_on_the_status_url_is_not_allowed(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    assert client.get(reverse("plans:deliverable_status", args=[deliverable.pk])).status_code == 405
