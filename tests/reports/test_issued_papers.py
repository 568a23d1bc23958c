"""Issuing a board paper: a frozen record of what the paper said, refused any change by the
database, with its PDF kept once and checked by SHA-256; corrections supersede; only staff of
the plan's organisation issue, and whoever sees the plan reads."""

import hashlib
import io
import re
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from apps.organisations.models import Membership
from apps.plans import services as plan_services
from apps.plans.models import Deliverable
from apps.reports import services
from apps.reports.models import BoardReport, IssuedPaper
from apps.reports.pdf import PdfError
from apps.risks import services as risk_services
from apps.risks.models import Risk
from tests.factories import MembershipFactory, UserFactory
from tests.reports.helpers import first_cover_sheet, issue, issue_url, move_meeting

pytestmark = pytest.mark.django_db


def paper_url(paper):
    return reverse("reports:paper_detail", args=[paper.pk])


def pdf_url(paper):
    return reverse("reports:paper_pdf", args=[paper.pk])


def list_url(plan):
    return reverse("reports:paper_list", args=[plan.pk])


def compare_url(a, b):
    return reverse("reports:paper_compare", args=[a.pk, b.pk])


def issued_body(response):
    """The paper as the issued page shows it: the part between the page's own wrapper."""
    html = response.content.decode()
    start = html.index('<div id="issued-paper">') + len('<div id="issued-paper">')
    return html[start : html.index("</div>", html.index("</article>", start))]


def row_of(html, deliverable):
    row = html[html.index(f'id="deliverable-{deliverable.pk}"') :]
    return row[: row.index("</tr>")]


def deliver(deliverable, user, note="Signed off at the Executive."):
    deliverable.refresh_from_db()
    return plan_services.deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=user,
        expected_version=deliverable.version,
        changes={"status": Deliverable.Status.DELIVERED, "delivered_narrative": "Signed off."},
        note=note,
    )


def open_deliverable(plan):
    return (
        Deliverable.objects.filter(theme__plan=plan)
        .exclude(status__in=Deliverable.DELIVERED_STATUSES)
        .order_by("pk")
        .first()
    )


# --- Issuing ------------------------------------------------------------------------------


def test_the_confirmation_names_the_meeting_and_the_report_page_offers_it(client, staff_dorset, dorset_plan):
    client.force_login(staff_dorset)
    report = client.get(reverse("reports:board_report", args=[dorset_plan.pk])).content.decode()
    assert f'href="{issue_url(dorset_plan)}"' in report
    page = client.get(issue_url(dorset_plan)).content.decode()
    cover = BoardReport.objects.get(pk=1)
    assert f"Issue {escape(cover.title)} to the governing body meeting of 15 January 2014?" in page
    assert 'id="first-paper"' in page
    assert 'name="cover_sheet" value="1"' in page and 'name="version" value="1"' in page
    assert not IssuedPaper.objects.exists()  # a GET issues nothing


def test_issued_html_and_pdf_do_not_change_when_the_data_does(
    client, staff_dorset, board_dorset, dorset_plan, media_root
):
    """Issue the Dorset paper: everything it shows is frozen; then the data moves on, and the
    issued HTML and PDF bytes are the same (and match their SHA-256), while the live report
    moves on and says what changed."""
    client.force_login(staff_dorset)
    paper = issue(client, dorset_plan)
    check_frozen(paper, dorset_plan, staff_dorset, media_root)
    target = open_deliverable(dorset_plan)
    client.force_login(board_dorset)
    first_page = client.get(paper_url(paper))
    first_pdf = client.get(pdf_url(paper))
    assert first_page.status_code == first_pdf.status_code == HTTPStatus.OK
    old_status = target.get_status_display()
    assert old_status in row_of(issued_body(first_page), target)

    # The data moves on: a deliverable delivered, the cover sheet rewritten, the meeting moved.
    deliver(target, staff_dorset)
    move_meeting(dorset_plan, staff_dorset, "2014-03-19")
    cover = BoardReport.objects.get(pk=1)
    cover.purpose = "Rewritten after the meeting."
    cover.save()

    second_page = client.get(paper_url(paper))
    second_pdf = client.get(pdf_url(paper))
    body = issued_body(second_page)
    assert body == issued_body(first_page) == paper.html
    assert hashlib.sha256(body.encode()).hexdigest() == paper.html_sha256
    assert second_pdf.content == first_pdf.content
    assert hashlib.sha256(second_pdf.content).hexdigest() == paper.pdf_sha256
    assert paper.pdf_sha256 in second_page.content.decode()  # shown on the page
    assert old_status in row_of(body, target) and "Rewritten after the meeting." not in body
    assert second_pdf["Content-Disposition"] == (
        'attachment; filename="board-paper-nhs-dorset-ccg-2014-01-15-paper-1.pdf"'
    )
    # The live report has moved on, and says what changed since the paper.
    live = client.get(reverse("reports:board_report", args=[dorset_plan.pk])).content.decode()
    assert "Delivered" in row_of(live, target)
    changes = live[live.index('id="changes-since"') : live.index('id="summary-heading"')]
    assert "Changes since the paper of 15 January 2014" in changes
    assert f'data-deliverable="{target.pk}"' in changes and "Signed off at the Executive." in changes


def check_frozen(paper, dorset_plan, staff_dorset, media_root):
    assert (paper.number, paper.plan, paper.issued_by, paper.cover_sheet_id) == (
        1,
        dorset_plan,
        staff_dorset,
        1,
    )
    assert str(paper.meeting_date) == "2014-01-15" and paper.title == BoardReport.objects.get(pk=1).title
    snapshot = paper.snapshot
    deliverables = Deliverable.objects.filter(theme__plan=dorset_plan)
    assert len(snapshot["deliverables"]) == deliverables.count() == 54
    for d in deliverables.select_related("owner"):
        row = next(r for r in snapshot["deliverables"] if r["id"] == d.pk)
        assert (row["title"], row["status"], row["delivered_narrative"], row["in_progress_narrative"]) == (
            d.title,
            d.status,
            d.delivered_narrative,
            d.in_progress_narrative,
        )
        assert row["deadline"] == (d.deadline.isoformat() if d.deadline else None)
        assert row["owner"] == (d.owner.get_full_name() if d.owner else "")
        assert row["domains"] == sorted(domain.number for domain in d.domains.all())
    assert [t["number"] for t in snapshot["themes"]] == list(
        dorset_plan.themes.order_by("number").values_list("number", flat=True)
    )
    assert snapshot["report"]["author"] == "E Parson, Head of Workforce"
    assert snapshot["totals"]["total"] == 54 and paper.deliverable_count == 54
    assert paper.delivered_count == deliverables.filter(status__in=Deliverable.DELIVERED_STATUSES).count()
    assert paper.overdue_count == deliverables.overdue().count()
    assert snapshot["changes"] is None  # the first paper
    # The HTML and the PDF, stored once, with their fingerprints.
    assert hashlib.sha256(paper.html.encode()).hexdigest() == paper.html_sha256
    stored = default_storage.open(paper.pdf.name).read()
    assert (media_root / paper.pdf.name).exists()
    assert hashlib.sha256(stored).hexdigest() == paper.pdf_sha256 and len(stored) == paper.pdf_size
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(stored)).pages)
    assert "Paper 1 issued for the meeting of 15 January 2014" in text
    assert "Unrestricted." in text


def cover_of(plan):
    return BoardReport.objects.get(plan=plan)


@pytest.mark.owner_role  # the trigger holds for the owner too; the app role is refused sooner
def test_the_database_refuses_to_update_or_delete_an_issued_paper(
    client, staff_dorset, small_plan, media_root
):
    client.force_login(staff_dorset)
    paper = issue(client, small_plan)
    before = IssuedPaper.objects.filter(pk=paper.pk).values().get()
    attempts = [
        lambda: IssuedPaper.objects.filter(pk=paper.pk).update(title="Rewritten"),
        lambda: IssuedPaper.objects.filter(pk=paper.pk).delete(),
        lambda: paper.save(),
        lambda: paper.delete(),
    ]
    for sql in (
        "UPDATE reports_issuedpaper SET html = 'forged' WHERE id = %s",
        "UPDATE reports_issuedpaper SET snapshot = '{}'::jsonb WHERE id = %s",
        "DELETE FROM reports_issuedpaper WHERE id = %s",
    ):
        attempts.append(lambda sql=sql: connection.cursor().execute(sql, [paper.pk]))
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="Cannot update or delete rows"), transaction.atomic():
            attempt()
    assert IssuedPaper.objects.filter(pk=paper.pk).values().get() == before
    assert (media_root / paper.pdf.name).exists()
    # What a paper refers to cannot be deleted from under it either.
    with pytest.raises(ProtectedError), transaction.atomic():
        paper.cover_sheet.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        small_plan.delete()


@pytest.mark.parametrize(
    "who, expected",
    [
        ("board_dorset", HTTPStatus.FORBIDDEN),
        ("staff_darlington", HTTPStatus.NOT_FOUND),
        ("no_role_user", HTTPStatus.NOT_FOUND),
        (None, HTTPStatus.FOUND),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_the_plans_staff_may_issue(request, client, small_plan, who, expected, method):
    if who:
        client.force_login(request.getfixturevalue(who))
    cover = cover_of(small_plan)
    response = getattr(client, method)(
        issue_url(small_plan), {"cover_sheet": cover.pk, "version": cover.version}
    )
    assert response.status_code == expected
    if who is None:
        assert reverse("login") in response["Location"]
    assert not IssuedPaper.objects.exists()
    if who == "board_dorset":
        page = client.get(reverse("reports:board_report", args=[small_plan.pk])).content.decode()
        assert issue_url(small_plan) not in page


@pytest.mark.parametrize("role", [Membership.Role.STAFF, Membership.Role.ORG_ADMIN])
def test_staff_and_organisation_administrators_of_the_plans_organisation_issue(
    client, dorset, small_plan, role
):
    """The rule is ``permissions.can_edit``: every editor role of the plan's organisation (the
    governing body reads only; administrators are tested below)."""
    user = UserFactory(username=f"t.{role}")
    MembershipFactory(user=user, organisation=dorset, role=role)
    client.force_login(user)
    page = client.get(reverse("reports:board_report", args=[small_plan.pk])).content.decode()
    assert issue_url(small_plan) in page
    paper = issue(client, small_plan)
    assert (paper.issued_by, paper.number) == (user, 1)


def test_a_pdf_that_cannot_be_made_issues_nothing(client, staff_dorset, small_plan, media_root, monkeypatch):
    def broken(html):
        raise PdfError("The PDF could not be rendered (1 errors).")

    monkeypatch.setattr(services, "html_to_pdf", broken)
    client.force_login(staff_dorset)
    response = issue(client, small_plan, expect=HTTPStatus.SERVICE_UNAVAILABLE)
    assert "PDF could not be made, so nothing was issued" in response.content.decode()
    assert not IssuedPaper.objects.exists() and not (media_root / "issued-papers").exists()


def test_a_paper_longer_than_its_bound_is_refused_with_a_message(
    client, staff_dorset, small_plan, media_root, monkeypatch
):
    monkeypatch.setattr(services, "PAPER_HTML_MAX_LENGTH", 100)
    client.force_login(staff_dorset)
    response = issue(client, small_plan, expect=HTTPStatus.BAD_REQUEST)
    assert "This paper is too long to issue" in response.content.decode()
    assert not IssuedPaper.objects.exists() and not (media_root / "issued-papers").exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"cover_sheet": "", "version": 1}, "cover_sheet"),
        ({"cover_sheet": "one", "version": 1}, "cover_sheet"),
        ({"cover_sheet": 1, "version": "x"}, "version"),
        ({"cover_sheet": 1, "version": 1, "correction_note": "x" * 2001}, "correction_note"),
    ],
)
def test_a_bad_confirmation_is_a_form_error_and_issues_nothing(client, staff_dorset, small_plan, data, field):
    client.force_login(staff_dorset)
    response = client.post(issue_url(small_plan), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["form"].errors
    assert b"Nothing was saved." in response.content
    assert not IssuedPaper.objects.exists() and not default_storage.exists("issued-papers")


def test_a_cover_sheet_changed_since_the_confirmation_is_not_issued_unseen(client, staff_dorset, small_plan):
    client.force_login(staff_dorset)
    shown = client.get(issue_url(small_plan)).context["form"].initial
    move_meeting(small_plan, staff_dorset, "2026-02-20")  # someone moves the meeting meanwhile
    response = client.post(issue_url(small_plan), {"cover_sheet": shown["cover_sheet"], "version": 1})
    assert response.status_code == HTTPStatus.CONFLICT
    html = response.content.decode()
    assert "The cover sheet changed after you opened this page" in html
    assert "meeting of 20 February 2026" in html and 'name="version" value="2"' in html
    assert not IssuedPaper.objects.exists()


def test_a_plan_without_a_cover_sheet_cannot_be_issued_yet(client, staff_darlington, darlington_plan):
    client.force_login(staff_darlington)
    page = client.get(issue_url(darlington_plan))
    assert page.status_code == HTTPStatus.OK and b'id="no-cover-to-issue"' in page.content
    response = client.post(issue_url(darlington_plan), {"cover_sheet": 1, "version": 1})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b'id="no-cover-to-issue"' in response.content
    assert not IssuedPaper.objects.exists()


def test_a_cover_sheet_of_another_plan_is_refused(client, staff_darlington, darlington_plan):
    client.force_login(staff_darlington)
    first_cover_sheet(darlington_plan, staff_darlington)
    response = client.post(issue_url(darlington_plan), {"cover_sheet": 1, "version": 1})  # Dorset's
    assert response.status_code == HTTPStatus.CONFLICT
    assert not IssuedPaper.objects.exists()


# --- Corrections, and reading papers ------------------------------------------------------------


def test_a_correction_supersedes_the_paper_and_both_say_so(client, staff_dorset, board_dorset, small_plan):
    client.force_login(staff_dorset)
    first = issue(client, small_plan)
    move_meeting(small_plan, staff_dorset, "2026-03-18")
    march = issue(client, small_plan)
    deliver(open_deliverable(small_plan), staff_dorset)
    page = client.get(issue_url(small_plan)).content.decode()
    assert 'id="correction-warning"' in page and "Paper 2 was issued for the meeting of 18 March 2026" in page

    cover = cover_of(small_plan)
    refused = client.post(issue_url(small_plan), {"cover_sheet": cover.pk, "version": cover.version})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "correction_note" in refused.context["form"].errors
    assert IssuedPaper.objects.count() == 2
    before = IssuedPaper.objects.filter(pk=march.pk).values().get()

    correction = issue(client, small_plan, correction_note="The status of one deliverable was wrong.")
    assert (correction.number, correction.supersedes, correction.previous) == (3, march, first)
    assert IssuedPaper.objects.filter(pk=march.pk).values().get() == before  # the old row never changes
    # A paper can be superseded once only, and two papers of a plan cannot share a number.
    fields = {
        f.attname: getattr(first, f.attname) for f in IssuedPaper._meta.concrete_fields if f.name != "id"
    }
    with pytest.raises(DatabaseError), transaction.atomic():
        IssuedPaper.objects.create(
            **{**fields, "number": 9, "supersedes_id": march.pk, "correction_note": "Again."}
        )
    with pytest.raises(DatabaseError), transaction.atomic():
        IssuedPaper.objects.create(**{**fields, "number": 2})

    client.force_login(board_dorset)
    old = client.get(paper_url(march)).content.decode()
    assert 'id="superseded-note"' in old and f'href="{paper_url(correction)}"' in old
    assert "The status of one deliverable was wrong." in old
    new = client.get(paper_url(correction)).content.decode()
    assert 'id="supersedes-note"' in new and 'id="paper-correction"' in new
    # The correction's changes are counted from the paper before the one it corrects.
    assert "Changes since the paper of 14 January 2026" in new
    assert correction.snapshot["changes"]["since"]["id"] == first.pk
    # The live report compares with the correction, the paper that stands.
    live = client.get(reverse("reports:board_report", args=[small_plan.pk])).content.decode()
    assert "Changes since the paper of 18 March 2026" in live and "Compared with paper 3" in live
    # The plan's papers, latest first, with what stands and what was superseded.
    listing = client.get(list_url(small_plan)).content.decode()
    assert listing.index(f'id="paper-{correction.pk}"') < listing.index(f'id="paper-{march.pk}"')
    assert listing.index(f'id="paper-{march.pk}"') < listing.index(f'id="paper-{first.pk}"')
    assert "Superseded</span> by" in listing
    assert f'href="{compare_url(first, march)}"' in listing and f'href="{pdf_url(march)}"' in listing
    row = listing[listing.index(f'id="paper-{march.pk}"') :]
    assert f">{march.delivered_pct}<" in row[: row.index("</tr>")]


def test_whoever_sees_the_plan_reads_its_papers_and_others_get_404(
    client, request, staff_dorset, small_plan, admin_user
):
    client.force_login(staff_dorset)
    assert b'id="no-papers"' in client.get(list_url(small_plan)).content
    first = issue(client, small_plan)
    move_meeting(small_plan, staff_dorset, "2026-03-18")
    second = issue(client, small_plan)
    urls = (paper_url(first), pdf_url(first), list_url(small_plan), compare_url(first, second))
    for who, expected in (
        ("staff_dorset", HTTPStatus.OK),
        ("board_dorset", HTTPStatus.OK),
        ("admin_user", HTTPStatus.OK),
        ("staff_darlington", HTTPStatus.NOT_FOUND),
        ("no_role_user", HTTPStatus.NOT_FOUND),
        (None, HTTPStatus.FOUND),
    ):
        client.logout()
        if who:
            client.force_login(request.getfixturevalue(who))
        for url in urls:
            assert client.get(url).status_code == expected, (who, url)
    # Unknown papers, a paper with itself and papers of two plans are 404 too.
    client.force_login(admin_user)
    dorset_cover = BoardReport.objects.get(pk=1)
    other = services.issue_paper(
        plan_id=dorset_cover.plan_id, acting_user=admin_user, cover_sheet_id=1, cover_sheet_version=1
    )
    for url in (
        reverse("reports:paper_detail", args=[999999]),
        reverse("reports:paper_pdf", args=[999999]),
        reverse("reports:paper_list", args=[999999]),
        compare_url(first, other),
        compare_url(first, first),
    ):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url


def test_the_issued_page_is_csp_safe_and_a_damaged_pdf_is_not_served(
    client, staff_dorset, small_plan, media_root
):
    client.force_login(staff_dorset)
    paper = issue(client, small_plan)
    html = client.get(paper_url(paper)).content.decode()
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert f'id="pdf-sha256">{paper.pdf_sha256}<' in html and f'id="html-sha256">{paper.html_sha256}<' in html
    assert "csrfmiddlewaretoken" not in paper.html and "t.staff.dorset" not in paper.html  # nobody's session
    path = media_root / paper.pdf.name
    path.write_bytes(path.read_bytes() + b"tampered")
    response = client.get(pdf_url(paper))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert b'id="pdf-unavailable"' in response.content and response["Content-Type"].startswith("text/html")
    path.unlink()
    assert client.get(pdf_url(paper)).status_code == HTTPStatus.SERVICE_UNAVAILABLE


def test_an_administrator_issues_and_the_admin_shows_papers_and_changes_nothing(
    client, admin_user, small_plan
):
    client.force_login(admin_user)
    paper = issue(client, small_plan)
    assert paper.issued_by == admin_user
    assert client.get(reverse("admin:reports_issuedpaper_changelist")).status_code == HTTPStatus.OK
    change = client.get(reverse("admin:reports_issuedpaper_change", args=[paper.pk]))
    assert change.status_code == HTTPStatus.OK and b'name="_save"' not in change.content
    assert client.get(reverse("admin:reports_issuedpaper_add")).status_code == HTTPStatus.FORBIDDEN
    delete = reverse("admin:reports_issuedpaper_delete", args=[paper.pk])
    assert client.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert IssuedPaper.objects.filter(pk=paper.pk).exists()


def test_a_risk_closed_after_the_paper_leaves_the_paper_alone(client, staff_darlington, darlington_plan):
    first_cover_sheet(darlington_plan, staff_darlington)
    client.force_login(staff_darlington)
    paper = issue(client, darlington_plan)
    risk = Risk.objects.get(organisation=darlington_plan.organisation, reference="R1")
    risk_services.risk_review(
        risk_id=risk.pk,
        acting_user=staff_darlington,
        expected_version=risk.version,
        changes={"status": Risk.Status.CLOSED},
        note="Closed at review.",
    )
    html = client.get(paper_url(paper)).content.decode()
    assert html.count('class="risk-row"') == 9
    live = client.get(reverse("reports:board_report", args=[darlington_plan.pk])).content.decode()
    assert live.count('class="risk-row"') == 8
    assert f'class="change-closed-risk" data-risk="{risk.pk}"' in live


# --- Fixed query counts as papers accumulate ----------------------------------------------------


def more_papers(paper, count):
    """``count`` further papers of the same plan, copied from a real one (rendering 50 PDFs
    would only slow the test down), every third one a correction of the paper before it."""
    fields = {
        f.attname: getattr(paper, f.attname) for f in IssuedPaper._meta.concrete_fields if f.name != "id"
    }
    previous = paper
    for number in range(paper.number + 1, paper.number + 1 + count):
        correction = number % 3 == 0
        previous = IssuedPaper.objects.create(
            **{
                **fields,
                "number": number,
                "supersedes_id": previous.pk if correction else None,
                "previous_id": previous.previous_id if correction else previous.pk,
                "correction_note": "A correction." if correction else "",
            }
        )
    return previous


def test_query_counts_stay_fixed_from_1_to_50_papers(
    client, staff_dorset, dorset, small_plan, django_assert_max_num_queries
):
    client.force_login(staff_dorset)
    first = issue(client, small_plan)
    urls = {
        "papers": list_url(small_plan),
        "paper": paper_url(first),
        "dashboard": reverse("dashboards:organisation", args=[dorset.slug]),
        "report": reverse("reports:board_report", args=[small_plan.pk]),
    }
    counts = {}

    def measure(name, url):
        client.get(url)
        cache.clear()  # counted as computed, not as read from the cache
        with django_assert_max_num_queries(40) as one:
            assert client.get(url).status_code == HTTPStatus.OK
        counts[name] = len(one.captured_queries)

    for name, url in urls.items():
        measure(name, url)
    second = more_papers(first, 1)
    urls["compare"] = compare_url(first, second)  # two papers at least
    measure("compare", urls["compare"])
    last = more_papers(second, 48)
    assert IssuedPaper.objects.filter(plan=small_plan).count() == 50
    urls["compare"] = compare_url(first, last)
    for name, url in urls.items():
        cache.clear()  # counted as computed, not as read from the cache
        with django_assert_max_num_queries(counts[name]):
            response = client.get(url)
        assert response.status_code == HTTPStatus.OK, name
        if name == "papers":
            assert response.content.decode().count('<tr id="paper-') == 50
        if name == "dashboard":
            standing = IssuedPaper.objects.filter(plan=small_plan, superseded_by__isnull=True).count()
            assert 0 < standing < 50
            assert response.content.decode().count('class="trend-row"') == standing


@pytest.mark.parametrize("who", ["board_dorset", "staff_darlington", "no_role_user"])
def test_the_service_itself_refuses_anyone_but_the_plans_staff(request, small_plan, who, media_root):
    """The view refuses first; the service checks again, so no other caller can issue."""
    cover = cover_of(small_plan)
    with pytest.raises(PermissionDenied):
        services.issue_paper(
            plan_id=small_plan.pk,
            acting_user=request.getfixturevalue(who),
            cover_sheet_id=cover.pk,
            cover_sheet_version=cover.version,
        )
    assert not IssuedPaper.objects.exists() and not (media_root / "issued-papers").exists()


def test_what_people_wrote_is_escaped_in_the_issued_html(client, staff_dorset, small_plan):
    deliverable = Deliverable.objects.filter(theme__plan=small_plan).first()
    deliverable.in_progress_narrative = '<script>alert("x")</script> & <b>bold</b>'
    deliverable.save()
    client.force_login(staff_dorset)
    paper = issue(client, small_plan)
    assert "<script>alert" not in paper.html and "<b>bold</b>" not in paper.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in paper.html
    assert paper.snapshot["deliverables"][0]["in_progress_narrative"].startswith(
        "<script>"
    )  # kept as written


def test_the_snapshot_names_an_owner_as_the_source_does_when_no_member_owns_it(
    client, staff_dorset, small_plan
):
    deliverable = Deliverable.objects.filter(theme__plan=small_plan).order_by("pk").first()
    Deliverable.objects.filter(pk=deliverable.pk).update(owner=None, owner_text="Director of Quality")
    client.force_login(staff_dorset)
    paper = issue(client, small_plan)
    row = next(r for r in paper.snapshot["deliverables"] if r["id"] == deliverable.pk)
    assert row["owner"] == "Director of Quality"
