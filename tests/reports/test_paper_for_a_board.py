"""The paper as a board would want it: titles printed whole (or, past sixty words, cut after a
whole word with the full text a link away in the appendix), each deliverable's latest progress
note with its date, a narrative written before the latest change of status marked as such; in
the live report, its PDF and the issued papers, whose snapshots keep the new fields while the
papers issued before them still render."""

import copy
import datetime
import io
import re
from http import HTTPStatus

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pypdf import PdfReader

from apps.plans.models import Deliverable, ODPlan, StatusUpdate
from apps.reports import paper
from apps.reports.models import IssuedPaper
from tests import seed_data
from tests.plans.factories import DeliverableFactory
from tests.reports.helpers import issue, update

pytestmark = pytest.mark.django_db

LONG_TITLE = " ".join(f"word{n}" for n in range(1, 71)) + "."  # 70 words, one sentence


def report_url(plan):
    return reverse("reports:board_report", args=[plan.pk])


def _section(html, start, end):
    return html[html.index(start) : html.index(end)]


@pytest.mark.parametrize("slug", ["nhs-dorset-ccg", "nhs-darlington-ccg"])
def test_the_notable_areas_print_every_seed_title_whole(client, admin_user, slug):
    """The seed's titles run to 46 words; each is printed whole in "Notable areas delivered" or
    "for further delivery", never cut in the middle of a sentence."""
    plan = ODPlan.objects.get(organisation__slug=slug)
    client.force_login(admin_user)
    html = client.get(report_url(plan)).content.decode()
    notable = _section(html, 'id="notable-delivered"', 'id="appendix"')
    seed = seed_data.deliverables(slug)
    assert max(len(d["title"].split()) for d in seed) > 18  # longer than the old cut
    for d in seed:
        assert f"<li>{escape(d['title'])}" in notable, d["title"][:60]
    assert "…" not in notable and "..." not in notable


def test_a_very_long_title_is_cut_after_a_word_and_given_whole_in_the_appendix(
    client, admin_user, small_plan
):
    theme = small_plan.themes.get(number=1)
    long = DeliverableFactory(theme=theme, position=3, title=LONG_TITLE, status="delivered")
    client.force_login(admin_user)
    html = client.get(report_url(small_plan)).content.decode()
    notable = _section(html, 'id="notable-delivered"', 'id="notable-further"')
    shown = " ".join(LONG_TITLE.split()[: paper.TITLE_WORDS]) + "…"
    assert (
        f'{shown} <a href="#deliverable-{long.pk}" class="full-text-link">(in full in the appendix)</a>'
        in notable
    )
    assert "word61" not in notable  # cut after word 60, between words
    appendix = _section(html, 'id="appendix"', 'id="risk-summary"')
    row = appendix[appendix.index(f'id="deliverable-{long.pk}"') :]
    assert LONG_TITLE in row[: row.index("</tr>")]


def test_the_appendix_gives_each_deliverables_latest_progress_note_and_its_date(
    client, staff_dorset, board_dorset, small_plan
):
    first, second = small_plan.themes.get(number=1).deliverables.order_by("position")[:2]
    update(first, staff_dorset, "Started with the localities.", status="in_progress")
    update(first, staff_dorset, "", deadline=datetime.date(2027, 3, 31))  # a change without a note
    update(second, staff_dorset, "Signed off by the board.\nMinutes to follow.")
    client.force_login(board_dorset)
    html = client.get(report_url(small_plan)).content.decode()
    appendix = _section(html, 'id="appendix"', 'id="risk-summary"')
    today = timezone.localdate().strftime("%-d %B %Y")

    def row(d):
        text = appendix[appendix.index(f'id="deliverable-{d.pk}"') :]
        return text[: text.index("</tr>")]

    by = escape(paper.person(staff_dorset))
    assert (
        f"<strong>Latest progress note</strong>, {today} ({by}): "
        '<span class="narrative">Started with the localities.</span>'
    ) in row(first)
    assert "Signed off by the board.\nMinutes to follow." in row(second)
    untouched = small_plan.themes.get(number=2).deliverables.first()
    assert "Latest progress note" not in row(untouched)


@pytest.mark.owner_role  # back-dates audit events (pgtrigger.ignore is the owner's alone)
def test_a_narrative_older_than_the_latest_status_change_is_marked(
    client, staff_dorset, board_dorset, small_plan
):
    """Marked delivered without a word changed in its narrative, which still says what "will be
    in place": the paper says the narrative was written before the status changed. A narrative
    rewritten with the change, and the seed's (status and narrative from the same paper), are not
    marked."""
    theme = small_plan.themes.get(number=2)
    stale, rewritten = theme.deliverables.order_by("position")[:2]
    update(stale, staff_dorset, "", in_progress_narrative="The policy will be in place from 1st April 2014.")
    update(rewritten, staff_dorset, "", in_progress_narrative="Drafting.")
    update(stale, staff_dorset, "Approved by the Directors group.", status="delivered")
    update(
        rewritten, staff_dorset, "Approved.", status="delivered", delivered_narrative="In place since March."
    )
    # In one test transaction every write has the same time: date the earlier ones earlier.
    _age_history(stale, rewritten, days=10)
    client.force_login(board_dorset)
    html = client.get(report_url(small_plan)).content.decode()
    appendix = _section(html, 'id="appendix"', 'id="risk-summary"')
    changed_on = timezone.localdate().strftime("%-d %B %Y")

    def row(d):
        text = appendix[appendix.index(f'id="deliverable-{d.pk}"') :]
        return text[: text.index("</tr>")]

    mark = f"Written before the status changed to Delivered on {changed_on}."
    assert f'April 2014.</span><span class="narrative-older">{mark}</span>' in row(stale)
    assert "narrative-older" not in row(rewritten).split("In place since March.")[1].split("</td>")[0]
    seed_plan = ODPlan.objects.exclude(pk=small_plan.pk).get(organisation__slug="nhs-dorset-ccg")
    assert "narrative-older" not in client.get(report_url(seed_plan)).content.decode()


def _age_history(*deliverables, days):
    """Moves every history row of ``deliverables`` but the latest of each ``days`` back: the test
    runs in one transaction, where PostgreSQL's now() is the same for every write."""
    import pgtrigger

    from apps.plans.models import DeliverableEvent

    with pgtrigger.ignore(f"{DeliverableEvent._meta.label}:append_only"):
        for d in deliverables:
            events = DeliverableEvent.objects.filter(pgh_obj_id=d.pk).order_by("-pgh_id")
            latest = events.first()
            events.exclude(pgh_id=latest.pgh_id).update(
                pgh_created_at=latest.pgh_created_at - datetime.timedelta(days=days)
            )


@pytest.mark.owner_role  # back-dates audit events (pgtrigger.ignore is the owner's alone)
def test_an_issued_paper_keeps_the_notes_and_marks_and_an_older_paper_still_renders(
    client, staff_dorset, board_dorset, small_plan
):
    stale = small_plan.themes.get(number=2).deliverables.order_by("position").first()
    update(stale, staff_dorset, "", in_progress_narrative="Will be in place from April.")
    update(stale, staff_dorset, "Done at last.", status="delivered")
    _age_history(stale, days=3)
    client.force_login(staff_dorset)
    issued = IssuedPaper.objects.get(pk=issue(client, small_plan).pk)
    snapshot = issued.snapshot
    assert snapshot["schema"] == paper.SCHEMA == 3
    row = next(d for d in snapshot["deliverables"] if d["id"] == stale.pk)
    assert row["latest_note"]["text"] == "Done at last." and row["latest_note"]["by"]
    assert row["status_changed_at"] > row["in_progress_narrative_at"]
    assert "Written before the status changed to Delivered on" in issued.html
    assert "Done at last." in issued.html
    reader = PdfReader(io.BytesIO(_stored_pdf(issued)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Latest progress note" in text and "Done at last." in text
    assert "Written before the status changed to Delivered on" in text

    # A paper issued before these fields were kept (schema 1): it renders, without them, and
    # is compared with the new one.
    old = copy.deepcopy(snapshot)
    old["schema"] = 1
    del old["baf"]  # kept from schema 3
    for d in old["deliverables"]:
        for key in ("latest_note", "status_changed_at", "delivered_narrative_at", "in_progress_narrative_at"):
            del d[key]
    html = render_to_string("reports/_report_body.html", {"paper": paper.context(old), "pdf": False})
    assert 'class="deliverable-row"' in html and "Latest progress note" not in html
    assert "narrative-older" not in html
    assert 'id="paper-baf"' not in html
    changes = paper.compare(old, snapshot)
    assert changes["count"] == 0
    client.force_login(board_dorset)
    assert client.get(issued.get_absolute_url()).status_code == HTTPStatus.OK


def _stored_pdf(issued):
    from django.core.files.storage import default_storage

    with default_storage.open(issued.pdf.name, "rb") as stream:
        return stream.read()


def test_the_live_pdf_has_the_latest_note_and_whole_titles(client, staff_dorset, board_dorset, small_plan):
    theme = small_plan.themes.get(number=1)
    long = DeliverableFactory(theme=theme, position=3, title=LONG_TITLE, status="delivered")
    first = theme.deliverables.order_by("position").first()
    update(first, staff_dorset, "Workshop held on Tuesday.")
    client.force_login(board_dorset)
    response = client.get(reverse("reports:board_report_pdf", args=[small_plan.pk]))
    assert response.status_code == HTTPStatus.OK
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Workshop held on Tuesday." in text
    assert "(in full in the appendix)" in text
    assert re.search(r"word1 word2 .* word70\.", text)  # the whole title, in the appendix
    assert long.pk and StatusUpdate.objects.filter(deliverable=first).exists()
    assert Deliverable.objects.filter(pk=long.pk).exists()
