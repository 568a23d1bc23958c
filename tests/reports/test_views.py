import io
import re
from http import HTTPStatus

import pytest
from django.apps import apps
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pypdf import PdfReader

from apps.plans.models import Deliverable, ODPlan
from apps.reports.models import BoardReport
from apps.risks.models import Risk
from tests import seed_data
from tests.factories import bulk_create_batch
from tests.plans.factories import DeliverableFactory, ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dorset_plan(dorset):
    return ODPlan.objects.get(organisation=dorset)


@pytest.fixture
def darlington_plan(darlington):
    return ODPlan.objects.get(organisation=darlington)


def report_url(plan):
    return reverse("reports:board_report", args=[plan.pk])


def cover_url(plan):
    return reverse("reports:cover_edit", args=[plan.pk])


def pdf_url(plan):
    return reverse("reports:board_report_pdf", args=[plan.pk])


def cover_data(report=None, **overrides):
    """A complete cover-sheet form as the page would post it."""
    data = {
        "title": report.title if report else "A new board report",
        "meeting_date": report.meeting_date.isoformat() if report else "2026-12-01",
        "version": report.version if report else 0,
        "report": report.pk if report else "",
    }
    for field in (
        "author",
        "sponsoring_member",
        "purpose",
        "recommendation",
        "resource_implications",
        "link_to_strategic_principles",
        "risk_assurance",
        "privacy_impact",
        "equality_impact",
        "actions_to_address_impact",
        "legal_implications",
        "freedom_of_information",
        "stakeholder_engagement",
        "reason_for_part_2",
        "previous_committees",
    ):
        data[field] = getattr(report, field) if report else ""
    data.update(overrides)
    return data


def snapshot():
    """Every board report and every audit event: what a refused write must leave alone."""
    return (
        list(BoardReport.objects.order_by("pk").values()),
        apps.get_model("reports", "BoardReportEvent").objects.count(),
    )


# --- The report page --------------------------------------------------------------------


def test_seed_cover_sheet_is_shown(client, board_dorset, dorset_plan):
    client.force_login(board_dorset)
    response = client.get(report_url(dorset_plan))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    cover = html[html.index('id="cover-sheet"') : html.index("</table>", html.index('id="cover-sheet"'))]
    assert "15/01/2014" in cover
    assert "E Parson, Head of Workforce" in cover
    assert "T Goodson, Chief Officer and Dr A Rutland, Poole Bay Locality Chair" in cover
    assert escape(BoardReport.objects.get(pk=1).purpose) in cover
    assert "Unrestricted." in cover
    assert "Freedom of information" in cover and "Sponsoring GB member" in cover
    assert "Organisational Development Strategy 2012-2017 Update" in html


@pytest.mark.parametrize("organisation", ["dorset", "darlington"])
def test_report_contains_every_deliverable_with_its_narratives(request, client, admin_user, organisation):
    plan = ODPlan.objects.get(organisation=request.getfixturevalue(organisation))
    client.force_login(admin_user)
    html = client.get(report_url(plan)).content.decode()
    appendix = html[html.index('id="appendix"') : html.index('id="risk-summary"')]
    deliverables = list(Deliverable.objects.filter(theme__plan=plan))
    seed = seed_data.deliverables(plan.organisation.slug)
    assert sorted(d.pk for d in deliverables) == sorted(d["pk"] for d in seed) != []
    assert appendix.count('class="deliverable-row"') == len(seed)
    for d in deliverables:
        row = appendix[appendix.index(f'id="deliverable-{d.pk}"') :]
        row = row[: row.index("</tr>")]
        assert escape(d.title) in row
        assert escape(d.delivered_narrative) in row
        assert escape(d.in_progress_narrative) in row
        assert escape(d.comments) in row
    for theme in plan.themes.all():
        assert f"Theme {theme.number}: {escape(theme.title)}" in appendix
        for objective in theme.objectives.all():
            assert escape(objective.text) in appendix
    assert "Key Deliverables</th>" in appendix and "Delivered</th>" in appendix
    assert "In Progress</th>" in appendix


def test_narratives_keep_their_line_breaks(client, admin_user, dorset_plan):
    client.force_login(admin_user)
    html = client.get(report_url(dorset_plan)).content.decode()
    multi_line = Deliverable.objects.filter(theme__plan=dorset_plan, delivered_narrative__contains="\n")
    assert multi_line.exists()
    for d in multi_line:
        assert f'<td class="narrative">{escape(d.delivered_narrative)}</td>' in html


def test_body_is_drawn_from_the_data(client, admin_user, darlington_plan):
    client.force_login(admin_user)
    response = client.get(report_url(darlington_plan))
    html = response.content.decode()
    deliverables = Deliverable.objects.filter(theme__plan=darlington_plan)
    delivered = deliverables.filter(status__in=Deliverable.DELIVERED_STATUSES).count()
    total = len(seed_data.deliverables("nhs-darlington-ccg"))
    assert deliverables.count() == total > 0
    assert f"Of the {total} key deliverables of the {escape(darlington_plan.title)}, {delivered} " in html
    overdue = deliverables.overdue().count()
    assert response.context["totals"]["overdue"] == overdue > 0
    delivered_part = html[html.index('id="notable-delivered"') : html.index('id="notable-further"')]
    further_part = html[html.index('id="notable-further"') : html.index('id="appendix"')]
    assert delivered_part.count("<li>") == delivered
    assert further_part.count("<li>") == total - delivered
    assert further_part.count("Overdue</strong>") == overdue


def test_data_read_at_marker(client, board_dorset, dorset_plan):
    client.force_login(board_dorset)
    before = timezone.now()
    response = client.get(report_url(dorset_plan))
    read_at = response.context["read_at"]
    assert before <= read_at <= timezone.now()
    assert str(read_at.tzinfo) == "Europe/London"
    html = response.content.decode()
    assert re.search(r"Data read at \d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2} (GMT|BST)", html)
    assert f"Data read at {read_at:%-d %B %Y, %H:%M}" in html


def test_risk_summary_shows_darlingtons_open_risks(client, admin_user, darlington_plan):
    client.force_login(admin_user)
    html = client.get(report_url(darlington_plan)).content.decode()
    summary = html[html.index('id="risk-summary"') :]
    seed = seed_data.risks("nhs-darlington-ccg", status="open")
    assert summary.count('class="risk-row"') == len(seed) > 0
    for risk in Risk.objects.filter(organisation=darlington_plan.organisation):
        assert escape(risk.description) in summary
    for risk in seed:  # ratings derived from the scores (R5: 4 x 4 = 16, not the printed 12)
        for prefix in ("", "residual_"):
            severity, likelihood = risk[f"{prefix}severity"], risk[f"{prefix}likelihood"]
            band = seed_data.band(severity * likelihood).capitalize()
            assert f"{severity} x {likelihood} = {severity * likelihood} <strong>{band}</strong>" in summary
    counts = re.findall(
        r'<tr><th scope="row">(\w+)</th><td class="num">(\d+)</td><td class="num">(\d+)</td>', summary
    )
    inherent, residual = seed_data.band_counts(seed), seed_data.band_counts(seed, residual=True)
    assert counts == [(band.capitalize(), str(inherent[band]), str(residual[band])) for band in inherent]


def test_risk_summary_leaves_out_closed_risks(client, admin_user, darlington_plan):
    Risk.objects.filter(reference="R9", organisation=darlington_plan.organisation).update(status="closed")
    client.force_login(admin_user)
    html = client.get(report_url(darlington_plan)).content.decode()
    assert html.count('class="risk-row"') == len(seed_data.risks("nhs-darlington-ccg", status="open")) - 1
    assert "1 closed risk not shown" in html


def test_plan_without_a_report_shows_an_empty_cover_sheet(client, staff_darlington, darlington_plan):
    client.force_login(staff_darlington)
    response = client.get(report_url(darlington_plan))
    assert response.status_code == HTTPStatus.OK
    assert b'id="no-cover-sheet"' in response.content
    assert b"Freedom of information" in response.content
    assert b"No open risks" not in response.content


def test_plan_without_risks_says_so(client, staff_dorset, dorset_plan):
    client.force_login(staff_dorset)
    assert b'id="no-risks"' in client.get(report_url(dorset_plan)).content


def test_print_button_and_csp_safe_markup(client, board_dorset, dorset_plan):
    client.force_login(board_dorset)
    html = client.get(report_url(dorset_plan)).content.decode()
    assert "data-print" in html
    assert "css/report.css" in html
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style", html)
    assert 'class="site-header no-print"' in html  # the print stylesheet hides the navigation


def test_report_css_has_a4_print_rules(client, board_dorset):
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/report.css"), encoding="utf-8").read()
    assert "@media print" in css and "size: A4" in css
    assert "break-before: page" in css  # the appendix starts on a new page


@pytest.mark.parametrize(
    "who, expected",
    [
        ("staff_dorset", HTTPStatus.OK),
        ("board_dorset", HTTPStatus.OK),
        ("admin_user", HTTPStatus.OK),
        ("staff_darlington", HTTPStatus.NOT_FOUND),
        ("no_role_user", HTTPStatus.NOT_FOUND),
        (None, HTTPStatus.FOUND),
    ],
)
@pytest.mark.parametrize("url", [report_url, pdf_url])
def test_who_may_read_the_report(request, client, dorset_plan, who, expected, url):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(url(dorset_plan))
    assert response.status_code == expected
    if who is None:
        assert reverse("login") in response["Location"]


def test_unknown_plan_is_a_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("reports:board_report", args=[999999])).status_code == HTTPStatus.NOT_FOUND


# --- Edit controls and the cover sheet form -------------------------------------------------


def test_governing_body_member_sees_no_edit_control(client, board_dorset, dorset_plan):
    client.force_login(board_dorset)
    html = client.get(report_url(dorset_plan)).content.decode()
    assert cover_url(dorset_plan) not in html
    assert "Edit cover sheet" not in html
    assert 'id="cover-form"' not in html and '<form method="post" novalidate' not in html


def test_owner_staff_see_the_edit_link(client, staff_dorset, dorset_plan):
    client.force_login(staff_dorset)
    html = client.get(report_url(dorset_plan)).content.decode()
    assert f'href="{cover_url(dorset_plan)}"' in html
    form = client.get(cover_url(dorset_plan))
    assert form.status_code == HTTPStatus.OK
    assert b'id="cover-form"' in form.content
    assert b'name="version" value="1"' in form.content
    assert b"E Parson, Head of Workforce" in form.content


def test_owner_staff_save_the_cover_sheet(client, staff_dorset, dorset_plan):
    client.force_login(staff_dorset)
    report = BoardReport.objects.get(pk=1)
    response = client.post(
        cover_url(dorset_plan),
        cover_data(
            report, meeting_date="2026-12-10", recommendation="The Governing Body is asked to Approve."
        ),
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == report_url(dorset_plan)
    report.refresh_from_db()
    assert report.version == 2
    assert report.recommendation == "The Governing Body is asked to Approve."
    assert str(report.meeting_date) == "2026-12-10"
    assert report.author == "E Parson, Head of Workforce"  # the rest unchanged
    page = client.get(report_url(dorset_plan)).content.decode()
    assert "10/12/2026" in page and "The Governing Body is asked to Approve." in page
    event = apps.get_model("reports", "BoardReportEvent").objects.filter(pgh_obj=report).latest("pgh_id")
    assert event.pgh_context.metadata["user"] == staff_dorset.pk


def test_first_cover_sheet_of_a_plan_is_created(client, staff_darlington, darlington_plan):
    client.force_login(staff_darlington)
    form = client.get(cover_url(darlington_plan))
    assert b'name="version" value="0"' in form.content
    assert escape(darlington_plan.title).encode() in form.content  # a suggested title
    response = client.post(
        cover_url(darlington_plan),
        cover_data(title="OD Plan Phase 2.2: progress", meeting_date="15/03/2027", author="A Writer"),
    )
    assert response.status_code == HTTPStatus.FOUND
    report = BoardReport.objects.get(plan=darlington_plan)
    assert (report.version, report.author, str(report.meeting_date)) == (1, "A Writer", "2027-03-15")
    assert b'id="no-cover-sheet"' not in client.get(report_url(darlington_plan)).content


@pytest.mark.parametrize(
    "who, expected",
    [
        ("board_dorset", HTTPStatus.FORBIDDEN),
        ("staff_darlington", HTTPStatus.NOT_FOUND),  # cannot even see the plan
        ("no_role_user", HTTPStatus.NOT_FOUND),
        (None, HTTPStatus.FOUND),  # anonymous: to the login page
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_cover_edit_is_refused_and_changes_nothing(request, client, dorset_plan, who, expected, method):
    if who:
        client.force_login(request.getfixturevalue(who))
    before = snapshot()
    report = BoardReport.objects.get(pk=1)
    response = getattr(client, method)(cover_url(dorset_plan), cover_data(report, author="Forged"))
    assert response.status_code == expected
    if who is None:
        assert reverse("login") in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"meeting_date": "not a date"}, "meeting_date"),
        ({"meeting_date": "31/02/2014"}, "meeting_date"),
        ({"meeting_date": ""}, "meeting_date"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"author": "x" * 201}, "author"),
        ({"version": "abc"}, "version"),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(client, staff_dorset, dorset_plan, overrides, field):
    client.force_login(staff_dorset)
    before = snapshot()
    report = BoardReport.objects.get(pk=1)
    response = client.post(cover_url(dorset_plan), cover_data(report, purpose="Changed", **overrides))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["form"].errors
    assert b"Nothing was saved." in response.content
    assert snapshot() == before


def test_stale_version_is_a_409_with_the_current_values(client, staff_dorset, dorset_plan):
    client.force_login(staff_dorset)
    report = BoardReport.objects.get(pk=1)
    first = client.post(cover_url(dorset_plan), cover_data(report, author="First Editor"))
    assert first.status_code == HTTPStatus.FOUND
    before = snapshot()
    second = client.post(cover_url(dorset_plan), cover_data(report, author="Second Editor"))  # version 1
    assert second.status_code == HTTPStatus.CONFLICT
    html = second.content.decode()
    assert 'id="version-conflict"' in html
    assert "Someone else saved this cover sheet" in html
    assert 'value="First Editor"' in html and 'value="Second Editor"' not in html
    assert "Second Editor" in html.split('id="submitted-values"')[1].split("</dl>")[0]  # what they typed
    assert 'name="version" value="2"' in html
    assert snapshot() == before


def test_a_save_lands_on_the_report_it_was_opened_for(client, staff_dorset, dorset_plan):
    """Opened for the January paper; meanwhile someone adds a later paper, which becomes the
    latest. The save still changes the January paper, and the later one is untouched."""
    client.force_login(staff_dorset)
    january = BoardReport.objects.get(pk=1)
    opened = cover_data(january, recommendation="Note the January report.")
    later = BoardReport.objects.create(plan=dorset_plan, title="Later paper", meeting_date="2026-12-10")
    assert client.post(cover_url(dorset_plan), opened).status_code == HTTPStatus.FOUND
    january.refresh_from_db()
    later.refresh_from_db()
    assert january.recommendation == "Note the January report." and january.version == 2
    assert (later.recommendation, later.version) == ("", 1)


def test_a_report_of_another_plan_cannot_be_saved_through_this_one(client, staff_dorset, dorset_plan):
    client.force_login(staff_dorset)
    darlington_report = BoardReport.objects.create(
        plan=ODPlan.objects.exclude(pk=dorset_plan.pk).first(), title="Other", meeting_date="2026-12-10"
    )
    data = cover_data(BoardReport.objects.get(pk=1), author="Forged")
    data["report"] = darlington_report.pk
    assert client.post(cover_url(dorset_plan), data).status_code == HTTPStatus.NOT_FOUND
    darlington_report.refresh_from_db()
    assert darlington_report.author == "" and darlington_report.version == 1


def test_a_report_created_meanwhile_is_a_conflict(client, staff_darlington, darlington_plan):
    client.force_login(staff_darlington)
    assert client.post(cover_url(darlington_plan), cover_data(author="Quick")).status_code == HTTPStatus.FOUND
    before = snapshot()
    response = client.post(cover_url(darlington_plan), cover_data(author="Slow"))  # still version 0
    assert response.status_code == HTTPStatus.CONFLICT
    assert snapshot() == before
    assert BoardReport.objects.filter(plan=darlington_plan).count() == 1


# --- Query count and PDF -------------------------------------------------------------------


def _forget_what_was_made(media_root):
    """Nothing cached, and no board report PDF kept (apps/reports/pdfs.py)."""
    import shutil

    cache.clear()
    shutil.rmtree(media_root / "board-report-pdfs", ignore_errors=True)


@pytest.mark.parametrize("url", [report_url, pdf_url])
def test_query_count_is_fixed_from_the_seed_to_500_more_deliverables(
    client, staff_dorset, dorset_plan, django_assert_max_num_queries, url, media_root
):
    client.force_login(staff_dorset)
    client.get(url(dorset_plan))
    _forget_what_was_made(media_root)  # counted as computed, not as read from the cache
    # 22: what a member reads is two queries (apps.organisations.permissions); the delivered
    # items' evidence one (apps/evidence, issue 22); 23: the Board Assurance Framework's
    # principal risks (Dorset has none, so none of its prefetches run)
    with django_assert_max_num_queries(23) as baseline:
        assert client.get(url(dorset_plan)).status_code == HTTPStatus.OK
    theme = ThemeFactory(plan=dorset_plan, number=99)
    bulk_create_batch(DeliverableFactory, 250, theme=theme)
    bulk_create_batch(DeliverableFactory, 250, theme=theme, status=Deliverable.Status.DELIVERED)
    assert (
        Deliverable.objects.filter(theme__plan=dorset_plan).count()
        == len(seed_data.deliverables("nhs-dorset-ccg")) + 500
    )
    _forget_what_was_made(media_root)  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(url(dorset_plan))
    assert response.status_code == HTTPStatus.OK


def test_pdf_download(client, board_dorset, dorset_plan):
    client.force_login(board_dorset)
    response = client.get(pdf_url(dorset_plan))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="board-report-plan-1-')
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) > 3
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    first = Deliverable.objects.filter(theme__plan=dorset_plan).order_by("theme__number", "position").first()
    assert " ".join(first.title.split()) in text
    assert "Delivery against the Organisational Development Strategy 2012-2017" in text
    assert "Unrestricted." in text
    assert "Data read at" in text


def test_admin_pages_render(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:reports_boardreport_changelist"), {"q": "Parson"}).status_code == 200
    assert client.get(reverse("admin:reports_boardreport_change", args=[1])).status_code == 200
