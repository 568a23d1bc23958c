import datetime
import html
import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from apps.dashboards.figures import list_url
from apps.dashboards.tables import CcgProgressTable
from apps.evidence import services as evidence_services
from apps.organisations import permissions
from apps.organisations.models import Membership, Organisation
from apps.plans.models import AuthorisationDomain, Deliverable, ODPlan, StatusUpdate
from apps.reports.models import IssuedPaper
from apps.reports.services import issue_paper, latest_report
from tests import seed_data
from tests.evidence.factories import add_link
from tests.factories import LatFactory, MembershipFactory, OrganisationFactory, UserFactory, bulk_create_batch
from tests.html import write_forms
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
from tests.reports.helpers import first_cover_sheet
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db

A_TAG = re.compile(r"<a\s[^>]*>")
HREF = re.compile(r'href="([^"]*)"')
COUNT = re.compile(r'data-count="(\d+)"')


def dashboard(slug):
    return reverse("dashboards:organisation", args=[slug])


def _list_links(content):
    """Every link on the page to the deliverables list or the risk register, with the figure it
    stands for (its data-count). A list link without one fails: no figure escapes the check."""
    links = []
    for tag in A_TAG.findall(content.decode()):
        url = html.unescape(HREF.search(tag).group(1)) if HREF.search(tag) else ""
        if not re.match(r"/(deliverables|risks|evidence)/\?", url):  # a filtered list, not the menu
            continue
        count = COUNT.search(tag)
        assert count, f"a link to {url} shows a figure but carries no data-count: {tag}"
        links.append((url, int(count.group(1))))
    return links


def _list_count(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, url
    return response.context["table"].paginator.count


@pytest.fixture
def every_bucket(db):
    """A CCG under a LAT with something in every bucket the dashboard counts: each status,
    overdue, due soon (in progress and not started), not updated by anyone for 60 days (never,
    and 61 days ago) beside updated lately, costed, every domain, a delivery this month, risks in
    every band, inherent and residual, open and closed, and an issued paper with status changes
    since (to delivered, to delivered with further work, and to in progress)."""
    today = timezone.localdate()
    lat = LatFactory()
    ccg = OrganisationFactory(parent=lat)
    staff = UserFactory(username="every.bucket.staff")
    MembershipFactory(user=staff, organisation=ccg, role=Membership.Role.STAFF)
    theme = ThemeFactory(plan=ODPlanFactory(organisation=ccg), number=1)
    other = ThemeFactory(plan=theme.plan, number=2)
    domains = list(AuthorisationDomain.objects.all())
    rows = [
        ("overdue in progress", "in_progress", today - datetime.timedelta(days=3)),
        ("overdue not started", "not_started", today - datetime.timedelta(days=40)),
        ("due soon in progress", "in_progress", today + datetime.timedelta(days=5)),
        ("due soon not started", "not_started", today + datetime.timedelta(days=29)),
        ("due soon proposed", "proposed", today),
        ("due in 31 days", "under_development", today + datetime.timedelta(days=31)),
        ("delivered late", "delivered", today - datetime.timedelta(days=10)),
        ("delivered, more to do", "delivered_further_work", today + datetime.timedelta(days=3)),
        ("no deadline", "not_started", None),
    ]
    made = []
    for position, (title, status, deadline) in enumerate(rows, start=1):
        deliverable = DeliverableFactory(
            theme=theme if position % 2 else other,
            position=position,
            title=title,
            status=status,
            deadline=deadline,
            cost_amount=1000 * position if position % 3 == 0 else None,
        )
        deliverable.domains.set(domains[: position % len(domains) + 1])
        made.append(deliverable)
    # Updates people made: lately (not stale), 61 days ago (stale again); none for the rest.
    for deliverable, days_ago in ((made[5], 3), (made[2], 59), (made[1], 61)):
        StatusUpdate.objects.create(
            deliverable=deliverable,
            created_by=staff,
            created_at=timezone.now() - datetime.timedelta(days=days_ago),
            from_status=deliverable.status,
            to_status=deliverable.status,
            note="Progress noted.",
        )
    Deliverable.objects.filter(pk=made[3].pk).update(updated_at=timezone.now())  # not a person's update
    first_cover_sheet(theme.plan, staff, title="Every bucket update", meeting_date="2026-01-14")
    cover = latest_report(theme.plan)
    issue_paper(
        plan_id=theme.plan.pk, acting_user=staff, cover_sheet_id=cover.pk, cover_sheet_version=cover.version
    )
    for deliverable, before in ((made[6], "in_progress"), (made[7], "in_progress"), (made[0], "not_started")):
        StatusUpdate.objects.create(
            deliverable=deliverable,
            created_by=staff if deliverable != made[6] else None,
            from_status=before,
            to_status=deliverable.status,
            note="Done" if deliverable.status != "in_progress" else "Started",
            created_at=timezone.now(),
        )
    for severity, likelihood, residual in [
        (1, 2, (1, 1)),
        (2, 3, (2, 2)),
        (3, 4, (3, 2)),
        (4, 5, (3, 4)),
        (5, 5, (5, 4)),
    ]:
        RiskFactory(
            organisation=ccg,
            severity=severity,
            likelihood=likelihood,
            residual_severity=residual[0],
            residual_likelihood=residual[1],
        )
    RiskFactory(organisation=ccg, severity=5, likelihood=4, status="closed")
    # Evidence (issue 22): one delivered deliverable rests on evidence past its review date.
    expired = add_link(ccg, staff, title="Old audit", review_on=today - datetime.timedelta(days=1))
    evidence_services.evidence_link(item=expired, acting_user=staff, target={"deliverable": made[6]})
    add_link(ccg, staff, title="Current log", review_on=today + datetime.timedelta(days=90))
    return ccg


@pytest.mark.parametrize(
    "where", ["ccg", "lat", "nhs-dorset-ccg", "nhs-darlington-ccg", "nhs-commissioning-board"]
)
def test_every_figure_equals_the_count_of_the_list_it_links_to(client, admin_user, every_bucket, where):
    """Every link from a dashboard to a list, headline cards included, on data with something in
    every bucket: the list shows exactly as many rows as the figure that linked to it."""
    slug = {"ccg": every_bucket.slug, "lat": every_bucket.parent.slug}.get(where, where)
    client.force_login(admin_user)
    response = client.get(dashboard(slug))
    assert response.status_code == HTTPStatus.OK
    links = _list_links(response.content)
    assert len(links) > 25
    for url, figure in links:
        assert _list_count(client, url) == figure, url
    if where == "ccg":  # the generated data really fills every bucket
        figures = response.context["figures"]
        for key in (
            "overdue",
            "due_soon",
            "stale",
            "costed",
            "delivered",
            "total",
            "to_deliver",
            "status_delivered",
            "status_delivered_further_work",
        ):
            assert figures[key].count > 0, key
        assert figures["due_soon"].count == 3  # in progress, not started and proposed alike
        assert figures["total"].count > figures["stale"].count  # and some were updated lately
        assert (figures["changed"].count, figures["changed_delivered"].count) == (3, 2)
        assert response.context["risk_figures"]["red"].count > 0
        assert figures["delivered_without_evidence"].count == 1  # delivered, more to do: none
        assert response.context["evidence_figures"]["expired"].count == 1
        assert all(row["inherent"].count and row["residual"].count for row in response.context["band_rows"])


def test_a_board_member_sees_the_same_figures_as_the_lists_show_them(client, board_dorset, dorset):
    client.force_login(board_dorset)
    for url, figure in _list_links(client.get(dashboard(dorset.slug)).content):
        assert _list_count(client, url) == figure, url


def test_headline_figures_for_darlington(client, admin_user, darlington):
    client.force_login(admin_user)
    context = client.get(dashboard(darlington.slug)).context
    figures = context["figures"]
    seed = seed_data.deliverables("nhs-darlington-ccg")
    today = timezone.localdate().isoformat()
    assert figures["total"].count == len(seed) > 0
    assert figures["delivered"].count == len(seed_data.delivered(seed)) > 0
    assert (
        figures["overdue"].count
        == sum(
            1
            for d in seed
            if d["deadline"] and d["deadline"] < today and d["status"] not in seed_data.DELIVERED
        )
        > 0
    )
    (plan,) = seed_data.records("plans.odplan", organisation=["nhs-darlington-ccg"])
    assert context["budget"] == Decimal(plan["budget_amount"]) > 0
    assert context["costs"] == sum(Decimal(d["cost_amount"]) for d in seed if d["cost_amount"]) > 0
    risks = seed_data.risks("nhs-darlington-ccg")  # the band figures count every status, as the list
    for kind, residual in (("inherent", False), ("residual", True)):
        counts = {row["band"]: row[kind].count for row in context["band_rows"]}
        assert counts == seed_data.band_counts(risks, residual), kind


def test_a_parent_rolls_up_what_lies_beneath(client, admin_user):
    client.force_login(admin_user)
    national = client.get(dashboard("nhs-commissioning-board")).context
    dorset = client.get(dashboard("nhs-dorset-ccg")).context
    darlington = client.get(dashboard("nhs-darlington-ccg")).context

    def counts(context):
        return {key: figure.count for key, figure in context["figures"].items()}

    def bands(context):
        return [(row["inherent"].count, row["residual"].count) for row in context["band_rows"]]

    assert counts(national)["total"] == counts(dorset)["total"] + counts(darlington)["total"]
    assert counts(national)["total"] == Deliverable.objects.count()
    assert counts(national)["overdue"] == counts(dorset)["overdue"] + counts(darlington)["overdue"]
    assert national["budget"] == sum(
        Decimal(p["budget_amount"] or 0) for p in seed_data.records("plans.odplan")
    )
    wessex = client.get(dashboard("wessex")).context
    assert counts(wessex) == counts(dorset)
    south = client.get(dashboard("south-of-england")).context
    assert counts(south) == counts(dorset) and bands(south) == bands(dorset)


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
    # The log-out button is the only form that posts (the "as at" date is a GET: it reads).
    assert [form.action for form in write_forms(content)] == [reverse("logout")]
    assert 'id="as-at-picker"' in content
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
    north = seed_data.beneath("north-of-england")
    assert [row.record.slug for row in response.context["table"].rows] == [
        slug for slug in seed_data.plans_of_ccgs() if slug in north
    ]
    client.force_login(admin_user)
    rows = client.get(reverse("dashboards:national")).context["table"].rows
    assert {row.record.slug: row.record.red_risks for row in rows} == {
        slug: seed_data.band_counts(seed_data.risks(slug, status="open"))["extreme"]
        for slug in seed_data.plans_of_ccgs()
    }


@pytest.mark.parametrize("column", [c.name for c in CcgProgressTable([]).columns if c.orderable])
@pytest.mark.parametrize("direction", ["", "-"])
def test_national_ccg_table_sorts_on_every_column(client, admin_user, column, direction):
    client.force_login(admin_user)
    response = client.get(reverse("dashboards:national"), {"sort": direction + column})
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["table"].rows) == len(seed_data.plans_of_ccgs()) > 1


def test_national_ccg_table_sorts_by_percentage_delivered(client, admin_user):
    client.force_login(admin_user)
    rows = client.get(reverse("dashboards:national"), {"sort": "-percent_delivered"}).context["table"].rows

    def percent(slug):
        plan = seed_data.deliverables(slug)
        return len(seed_data.delivered(plan)) / len(plan)

    expected = sorted(seed_data.plans_of_ccgs(), key=percent, reverse=True)
    assert len({percent(slug) for slug in expected}) == len(expected)  # no ties: the order is the sort's
    assert [r.record.slug for r in rows] == expected


def _grow(dorset, deliverables, updates_each, theme_number):
    theme = ThemeFactory(plan=ODPlan.objects.get(organisation=dorset), number=theme_number)
    created = bulk_create_batch(DeliverableFactory, deliverables, theme=theme, deadline="2013-03-31")
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
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(30) as baseline:
        client.get(url)
    _grow(dorset, 4950, 2, theme_number=92)
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        assert client.get(url).status_code == HTTPStatus.OK


def test_national_ccg_figures_equal_the_lists_of_each_ccg(client, admin_user, every_bucket):
    """Each CCG's row of the national table against the deliverable list and the risk register
    of that CCG: total, delivered, % delivered, overdue and open extreme risks, inherent and
    residual; a CCG whose plan has no deliverables yet shows 0%, not an error."""
    empty = OrganisationFactory(parent=every_bucket.parent)
    ODPlanFactory(organisation=empty)
    ODPlanFactory(organisation=every_bucket.parent)  # a LAT's own plan: not a CCG's row
    client.force_login(admin_user)
    response = client.get(reverse("dashboards:national"))
    assert response.status_code == HTTPStatus.OK
    rows = {row.record.slug: row.record for row in response.context["table"].rows}
    assert {every_bucket.slug, empty.slug} <= set(rows)
    assert {record.kind for record in rows.values()} == {Organisation.Kind.CCG}

    def count(url_name, **params):
        return _list_count(client, list_url(url_name, **params))

    for slug, record in rows.items():
        scope = {"within": record.pk}
        total = count("plans:deliverable_list", **scope)
        delivered = count("plans:deliverable_list", bucket="delivered", **scope)
        assert (record.deliverable_total, record.delivered) == (total, delivered), slug
        assert record.percent_delivered == pytest.approx(100 * delivered / total if total else 0), slug
        assert record.overdue == count("plans:deliverable_list", overdue="true", **scope), slug
        assert record.red_risks == count("risks:risk_list", band="extreme", status="open", **scope), slug
        assert record.red_residual_risks == count(
            "risks:risk_list", residual_band="extreme", status="open", **scope
        ), slug
    busy = rows[every_bucket.slug]
    assert busy.overdue > 0 and busy.red_risks > 0 and busy.red_residual_risks > 0
    assert 0 < busy.percent_delivered < 100
    assert (rows[empty.slug].deliverable_total, rows[empty.slug].percent_delivered) == (0, 0)


def test_national_view_is_for_members_of_a_region_or_the_national_body_only(staff_dorset, board_dorset):
    regional = UserFactory(username="regional.viewer")
    MembershipFactory(
        user=regional,
        organisation=Organisation.objects.get(slug="north-of-england"),
        role=Membership.Role.GOVERNING_BODY,
    )
    assert permissions.has_national_view(regional)
    # Someone else's regional membership opens nothing for a CCG's staff or board.
    assert not permissions.has_national_view(staff_dorset)
    assert not permissions.has_national_view(board_dorset)
    regional.is_active = False
    regional.save()
    assert not permissions.has_national_view(regional)
    assert not permissions.has_national_view(AnonymousUser())


# --- The first screen: are we on track, what changed, what needs attention ---------------------


def test_not_updated_counts_what_people_did_not_the_seed_load(client, admin_user, darlington):
    """Darlington's actions date from 2012-13 and were only loaded: none was updated by anyone,
    so every open one is "not updated for 60 days", however recently the seed was loaded. The
    figure is the list's own filter, so an update by a person takes it off both."""
    client.force_login(admin_user)
    seed = seed_data.deliverables("nhs-darlington-ccg")
    still_open = [d for d in seed if d["status"] not in seed_data.DELIVERED]
    figures = client.get(dashboard(darlington.slug)).context["figures"]
    assert figures["stale"].count == len(still_open) > 30
    assert _list_count(client, figures["stale"].url) == figures["stale"].count

    quiet = Deliverable.objects.filter(theme__plan__organisation=darlington, status="in_progress").first()
    staff = UserFactory(username="darlington.updater")
    MembershipFactory(user=staff, organisation=darlington, role=Membership.Role.STAFF)
    client.force_login(staff)
    response = client.post(
        reverse("plans:deliverable_status", args=[quiet.pk]),
        {
            "status": "in_progress",
            "note": "Still under way: the board meets in March.",
            "version": quiet.version,
        },
    )
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    assert StatusUpdate.objects.by_people().filter(deliverable=quiet).count() == 1
    client.force_login(admin_user)
    figures = client.get(dashboard(darlington.slug)).context["figures"]
    assert figures["stale"].count == len(still_open) - 1
    assert _list_count(client, figures["stale"].url) == figures["stale"].count


def test_fully_delivered_is_counted_apart_from_delivered_with_further_work(client, board_dorset, dorset):
    client.force_login(board_dorset)
    response = client.get(dashboard(dorset.slug))
    figures = response.context["figures"]
    seed = seed_data.deliverables("nhs-dorset-ccg")
    fully = sum(1 for d in seed if d["status"] == "delivered")
    further = sum(1 for d in seed if d["status"] == "delivered_further_work")
    assert figures["status_delivered"].count == fully > 0
    assert figures["status_delivered_further_work"].count == further > 0
    assert figures["delivered"].count == fully + further
    html = response.content.decode()
    headline = html.split('id="headline"')[1].split("</section>")[0]
    assert f'id="stat-fully-delivered" data-count="{fully}"' in headline
    assert f"fully delivered ({round(100 * fully / len(seed), 1)}%)" in headline
    assert f'id="stat-further-work" data-count="{further}"' in headline
    assert "delivered, with further work in progress" in headline


def _attention(html, key):
    item = html.split(f'id="attention-{key}"')[1].split("</li>")[0]
    return item


def test_off_track_checks_are_a_warning_only_when_not_zero(client, admin_user, every_bucket):
    """Overdue, not updated and red risks: a non-zero is a warning in words and a mark, not by
    colour alone; a zero says it is on track."""
    client.force_login(admin_user)
    html = client.get(dashboard(every_bucket.slug)).content.decode()
    for key in ("overdue", "stale", "red"):
        item = html.split(f'id="attention-{key}"')[0].rsplit("<li", 1)[1]
        assert "is-warning" in item, key
        assert "Needs attention" in _attention(html, key) and ">!<" in _attention(html, key), key
    assert "Not everywhere:" in html

    calm = OrganisationFactory(parent=every_bucket.parent)  # a plan with nothing off track
    plan_theme = ThemeFactory(plan=ODPlanFactory(organisation=calm), number=1)
    done = DeliverableFactory(theme=plan_theme, position=1, status="delivered")
    RiskFactory(organisation=calm, severity=2, likelihood=2)  # an open risk, low
    html = client.get(dashboard(calm.slug)).content.decode()
    for key in ("overdue", "stale", "red"):
        item = html.split(f'id="attention-{key}"')[0].rsplit("<li", 1)[1]
        assert "is-calm" in item and "is-warning" not in item, key
        assert "On track" in _attention(html, key) and "Needs attention" not in _attention(html, key), key
    assert "<strong>Yes:</strong>" in html
    assert done.pk


def test_no_red_risk_on_an_empty_register_is_not_on_track(client, admin_user, every_bucket):
    """No open risk recorded at all: the red-risk check says so, not "On track" (an empty
    register is not a sign of health), and so does the answer to "are we on track"."""
    client.force_login(admin_user)
    bare = OrganisationFactory(parent=every_bucket.parent)
    DeliverableFactory(
        theme=ThemeFactory(plan=ODPlanFactory(organisation=bare), number=1), status="delivered"
    )
    RiskFactory(organisation=bare, severity=5, likelihood=5, status="closed")  # closed: not open
    html = client.get(dashboard(bare.slug)).content.decode()
    item = html.split('id="attention-red"')[0].rsplit("<li", 1)[1]
    assert "is-empty" in item and "is-calm" not in item
    red = _attention(html, "red")
    assert "No open risk is recorded" in red and "On track" not in red and ">–<" in red
    assert "On track" in _attention(html, "overdue")
    assert "<strong>Yes, but</strong> no open risk is recorded" in html


def test_changes_since_the_last_paper_come_first_and_figures_are_compared_with_it(
    client, admin_user, every_bucket
):
    client.force_login(admin_user)
    response = client.get(dashboard(every_bucket.slug))
    context = response.context
    paper = context["last_paper"]
    assert paper is not None and paper.number == 1
    html = response.content.decode()
    # Near the top: after the headline figures, before the detailed sections.
    assert html.index('id="headline"') < html.index('id="what-changed"') < html.index('id="status-heading"')
    changes = html.split('id="what-changed"')[1].split("</section>")[0]
    assert "What changed since the last paper" in changes and "paper 1" in changes
    assert 'id="stat-changed" data-count="3"' in changes
    assert len(context["recent_changes"]) == 3  # the status changes recorded after the paper
    assert all(u.created_at > paper.read_at for u in context["recent_changes"])

    comparison = context["comparison"]
    assert comparison["overdue"]["then"] == paper.overdue_count
    assert comparison["red"]["then"] == paper.red_risk_count
    assert comparison["to_deliver"]["then"] == paper.deliverable_count - paper.delivered_count
    assert comparison["further_work"]["then"] == paper.further_work
    assert comparison["fully_delivered"]["then"] == paper.delivered_count - paper.further_work
    for key, figure in (("overdue", "overdue"), ("to_deliver", "to_deliver")):
        difference = context["figures"][figure].count - comparison[key]["then"]
        assert comparison[key]["difference"] == difference
    assert f"last paper: {paper.overdue_count} (" in _attention(html, "overdue")
    issued = IssuedPaper.objects.get(pk=paper.pk)
    assert paper.further_work == issued.snapshot["totals"]["further_work"] > 0


def test_without_a_paper_the_dashboard_says_so_and_shows_the_latest_updates(client, board_dorset, dorset):
    client.force_login(board_dorset)
    response = client.get(dashboard(dorset.slug))
    html = response.content.decode()
    assert response.context["last_paper"] is None and response.context["comparison"] is None
    assert 'id="no-paper-yet"' in html and 'id="stat-changed"' not in html


def test_a_day_before_the_records_began_is_said_in_words_not_zeros(client, board_dorset, dorset):
    """As at a day before anything of Dorset was recorded here (the seed was loaded today): a
    sentence saying when the records begin, a link to that day, and no figure or plan link."""
    client.force_login(board_dorset)
    response = client.get(dashboard(dorset.slug), {"as_at": "2014-03-31"})
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    began = response.context["records_began"]
    assert began is not None and timezone.localtime(began).date() == timezone.localdate()
    sentence = html.split('id="before-records-sentence">')[1].split("</p>")[0]
    assert "begin on " + timezone.localdate().strftime("%-d %B %Y") in sentence
    assert "no figures for 31 March 2014" in sentence
    assert f'href="?as_at={timezone.localdate().isoformat()}"' in sentence
    assert not _list_links(response.content)  # no zeros pretending to be data
    plan = ODPlan.objects.get(organisation=dorset)
    assert plan.get_absolute_url() not in html and reverse("reports:board_report", args=[plan.pk]) not in html
    assert 'id="headline"' not in html and "No OD plan is recorded" not in html
    # The first day of the records shows the dashboard.
    response = client.get(dashboard(dorset.slug), {"as_at": timezone.localdate().isoformat()})
    assert response.context["figures"]["total"].count == len(seed_data.deliverables("nhs-dorset-ccg"))


def test_as_at_a_day_a_plan_recorded_later_is_not_linked(client, admin_user, every_bucket):
    client.force_login(admin_user)
    later = ODPlanFactory(organisation=every_bucket, title="A plan written later")
    ODPlan.objects.filter(pk=later.pk).update(created_at=timezone.now() + datetime.timedelta(days=1))
    response = client.get(dashboard(every_bucket.slug), {"as_at": timezone.localdate().isoformat()})
    assert later not in response.context["plans"]
    assert later.get_absolute_url() not in response.content.decode()
    assert later in client.get(dashboard(every_bucket.slug)).context["plans"]


def test_the_as_at_day_is_picked_with_a_date_field(client, board_dorset, dorset):
    client.force_login(board_dorset)
    html = client.get(dashboard(dorset.slug)).content.decode()
    picker = html.split('id="as-at-picker"')[1].split("</form>")[0]
    assert '<label for="as-at-day">' in picker
    assert 'type="date" name="as_at" id="as-at-day"' in picker
    assert f'max="{timezone.localdate().isoformat()}"' in picker


def test_a_progress_note_alone_is_listed_but_not_counted_as_a_change_of_status(
    client, admin_user, every_bucket
):
    client.force_login(admin_user)
    before = client.get(dashboard(every_bucket.slug)).context["figures"]["changed"].count
    quiet = Deliverable.objects.get(theme__plan__organisation=every_bucket, title="no deadline")
    StatusUpdate.objects.create(
        deliverable=quiet,
        created_by=UserFactory(username="note.only"),
        from_status=quiet.status,
        to_status=quiet.status,
        note="Waiting for the new structure.",
    )
    response = client.get(dashboard(every_bucket.slug))
    figure = response.context["figures"]["changed"]
    assert figure.count == before == _list_count(client, figure.url)
    changes = response.content.decode().split('id="latest-updates"')[1].split("</ul>")[0]
    assert "no deadline</a>: progress note (not started)" in changes
