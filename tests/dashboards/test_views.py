import html
import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.dashboards.tables import CcgProgressTable
from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable, ODPlan, StatusUpdate
from tests.factories import MembershipFactory, UserFactory
from tests.plans.factories import DeliverableFactory, ThemeFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a href="(/(?:deliverables|risks)/\?[^"]*)"[^>]*>\s*(\d+)\s*</a>')


def dashboard(slug):
    return reverse("dashboards:organisation", args=[slug])


def _linked_figures(content):
    return [(html.unescape(url), int(n)) for url, n in LINK.findall(content.decode())]


def _list_count(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, url
    return response.context["table"].paginator.count


@pytest.mark.parametrize(
    "slug", ["nhs-dorset-ccg", "nhs-darlington-ccg", "durham-darlington-and-tees", "nhs-commissioning-board"]
)
def test_every_figure_equals_the_count_of_the_list_it_links_to(client, admin_user, slug):
    client.force_login(admin_user)
    response = client.get(dashboard(slug))
    assert response.status_code == HTTPStatus.OK
    figures = _linked_figures(response.content)
    assert len(figures) > 20
    for url, figure in figures:
        assert _list_count(client, url) == figure, url


def test_headline_figures_for_darlington(client, admin_user, darlington):
    client.force_login(admin_user)
    context = client.get(dashboard(darlington.slug)).context
    assert context["totals"]["total"] == 41
    assert context["totals"]["delivered"] == 3
    assert (
        context["overdue_count"]
        == Deliverable.objects.filter(theme__plan__organisation=darlington).overdue().count()
    )
    assert context["money"]["budget"] == 90000
    assert context["money"]["costs"] == 32000  # £10K + £2K + £20K, the amounts the plan states
    inherent = {row["band"]: row["count"] for row in context["band_counts"]["inherent"]}
    assert inherent == {"low": 0, "moderate": 0, "high": 0, "extreme": 9}


def test_a_parent_rolls_up_what_lies_beneath(client, admin_user):
    client.force_login(admin_user)
    national = client.get(dashboard("nhs-commissioning-board")).context
    dorset = client.get(dashboard("nhs-dorset-ccg")).context
    darlington = client.get(dashboard("nhs-darlington-ccg")).context
    assert national["totals"]["total"] == dorset["totals"]["total"] + darlington["totals"]["total"] == 95
    assert national["overdue_count"] == dorset["overdue_count"] + darlington["overdue_count"]
    assert national["money"]["budget"] == 90000
    wessex = client.get(dashboard("wessex")).context
    assert wessex["totals"] == dorset["totals"]
    south = client.get(dashboard("south-of-england")).context
    assert south["totals"]["total"] == 54 and south["band_counts"] == dorset["band_counts"]


def test_dashboard_counts_deliveries_per_month_from_the_history(client, staff_dorset, dorset):
    deliverable = Deliverable.objects.filter(theme__plan__organisation=dorset, status="in_progress").first()
    client.force_login(staff_dorset)
    client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"status": "delivered", "note": "done", "version": deliverable.version},
    )
    months = client.get(dashboard(dorset.slug)).context["delivered_per_month"]
    assert sum(m["count"] for m in months) == 1
    update = StatusUpdate.objects.get(deliverable=deliverable)
    assert months[0]["month"] == update.created_at.date().replace(day=1)


def test_governing_body_member_sees_the_dashboard_read_only(client, board_dorset, dorset):
    client.force_login(board_dorset)
    response = client.get(dashboard(dorset.slug))
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert content.count("<form") == 1  # the log-out button only
    assert "Change status" not in content


def test_other_organisations_dashboard_is_refused(client, staff_dorset, darlington):
    client.force_login(staff_dorset)
    assert client.get(dashboard(darlington.slug)).status_code == HTTPStatus.FORBIDDEN


def test_home_takes_users_to_their_dashboard(client, board_dorset, admin_user, no_role_user):
    client.force_login(board_dorset)
    assert client.get("/")["Location"] == dashboard("nhs-dorset-ccg")
    client.force_login(admin_user)
    assert client.get("/")["Location"] == reverse("dashboards:national")
    client.force_login(no_role_user)
    assert client.get("/")["Location"] == reverse("organisations:national")


def test_national_dashboard_for_admins_and_regional_members_only(client, staff_dorset, admin_user):
    client.force_login(staff_dorset)
    assert client.get(reverse("dashboards:national")).status_code == HTTPStatus.FORBIDDEN
    regional = UserFactory(username="regional.member")
    MembershipFactory(
        user=regional,
        organisation=Organisation.objects.get(slug="north-of-england"),
        role=Membership.Role.GOVERNING_BODY,
    )
    client.force_login(regional)
    response = client.get(reverse("dashboards:national"))
    assert response.status_code == HTTPStatus.OK
    assert [row.record.name for row in response.context["table"].rows] == ["NHS Darlington CCG"]
    client.force_login(admin_user)
    rows = client.get(reverse("dashboards:national")).context["table"].rows
    assert {row.record.name: row.record.red_risks for row in rows} == {
        "NHS Darlington CCG": 9,
        "NHS Dorset CCG": 0,
    }


@pytest.mark.parametrize("column", [c.name for c in CcgProgressTable([]).columns if c.orderable])
@pytest.mark.parametrize("direction", ["", "-"])
def test_national_ccg_table_sorts_on_every_column(client, admin_user, column, direction):
    client.force_login(admin_user)
    response = client.get(reverse("dashboards:national"), {"sort": direction + column})
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["table"].rows) == 2


def test_national_ccg_table_sorts_by_percentage_delivered(client, admin_user):
    client.force_login(admin_user)
    rows = client.get(reverse("dashboards:national"), {"sort": "-percent_delivered"}).context["table"].rows
    assert [r.record.name for r in rows] == ["NHS Dorset CCG", "NHS Darlington CCG"]


def _grow(dorset, deliverables, updates_each, theme_number):
    theme = ThemeFactory(plan=ODPlan.objects.get(organisation=dorset), number=theme_number)
    created = DeliverableFactory.create_batch(deliverables, theme=theme, deadline="2013-03-31")
    StatusUpdate.objects.bulk_create(
        StatusUpdate(deliverable=d, from_status="in_progress", to_status="delivered", note="bench")
        for d in created
        for _ in range(updates_each)
    )


@pytest.mark.parametrize("url_name", ["organisation", "national"])
def test_dashboard_queries_do_not_grow_from_50_to_5000_deliverables(
    client, admin_user, dorset, url_name, django_assert_max_num_queries
):
    url = dashboard(dorset.slug) if url_name == "organisation" else reverse("dashboards:national")
    client.force_login(admin_user)
    _grow(dorset, 50, 1, theme_number=91)
    client.get(url)
    with django_assert_max_num_queries(40) as baseline:
        client.get(url)
    _grow(dorset, 4950, 2, theme_number=92)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        assert client.get(url).status_code == HTTPStatus.OK
