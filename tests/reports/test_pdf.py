"""The board report PDF: a tagged PDF/UA-1 document (structure, language, title) whose long texts
flow over as many pages as they need and are never dropped."""

import io
import logging
import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from pypdf import PdfReader

from apps.core.bounds import NARRATIVE_MAX_LENGTH
from apps.organisations.models import Membership
from apps.reports.pdf import html_to_pdf
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def _numbered_text(prefix, length):
    """Words that name their own place ("d00001 d00002 ..."), at most ``length`` characters in
    lines of ten words: a dropped or reordered stretch shows as a missing or misplaced number."""
    words, size, n = [], 0, 0
    while size + len(prefix) + 5 <= length:
        n += 1
        word = f"{prefix}{n:05d}"
        words.append(word + ("\n" if n % 10 == 0 else " "))
        size += len(word) + 1
    return "".join(words).strip(), n


def _pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _staff_of(organisation):
    user = UserFactory(username="pdf.staff")
    MembershipFactory(user=user, organisation=organisation, role=Membership.Role.STAFF)
    return user


def test_narratives_at_their_limit_flow_over_pages_and_appear_whole(client):
    """Every narrative of a row at its limit (5,000 characters, the longest the database takes),
    in several rows: each row is taller than a page, and the rows flow over as many pages as
    they need, every word kept and in order."""
    organisation = OrganisationFactory(name="NHS Long Text CCG")
    plan = ODPlanFactory(organisation=organisation, title="A plan with long narratives")
    theme = ThemeFactory(plan=plan, number=1, title="Long")
    counts = {}
    fields = (("delivered_narrative", "d"), ("in_progress_narrative", "p"), ("comments", "c"))
    for row in range(1, 5):
        texts = {}
        for field, letter in fields:
            prefix = f"{letter}{row}"
            texts[field], counts[prefix] = _numbered_text(prefix, NARRATIVE_MAX_LENGTH)
            assert NARRATIVE_MAX_LENGTH - 8 < len(texts[field]) <= NARRATIVE_MAX_LENGTH
        DeliverableFactory(
            theme=theme,
            title=f"Deliverable {row} with the longest narratives",
            status="delivered_further_work",
            position=row,
            **texts,
        )
    client.force_login(_staff_of(organisation))

    response = client.get(reverse("reports:board_report_pdf", args=[plan.pk]))

    assert response.status_code == HTTPStatus.OK
    reader, text = _pdf_text(response.content)
    assert len(reader.pages) > 10  # the rows flowed over many pages instead of being cut at one
    for prefix, count in counts.items():
        found = [int(n) for n in re.findall(rf"\b{prefix}(\d{{5}})\b", text)]
        assert found == list(range(1, count + 1)), f"words of narrative {prefix} missing or out of order"


def test_the_report_pdf_is_tagged_pdf_ua_with_language_title_and_table_headers(client, dorset, caplog):
    plan = dorset.plans.get()
    client.force_login(_staff_of(dorset))

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        response = client.get(reverse("reports:board_report_pdf", args=[plan.pk]))

    # WeasyPrint reads all of the report's CSS (it warns of each rule it ignores).
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []

    reader = PdfReader(io.BytesIO(response.content))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "en-GB"
    assert bool(catalog["/MarkInfo"]["/Marked"]) is True
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"]) is True  # viewers show the title
    assert reader.metadata.title == f"Board report: {plan.title}"
    xmp = reader.xmp_metadata.rdf_root.toxml()
    assert 'pdfuaid:part="1"' in xmp

    tags = []

    def walk(node):
        node = node.get_object()
        if hasattr(node, "get"):
            if node.get("/S"):
                tags.append(str(node["/S"]))
            kids = node.get("/K")
            for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
                walk(kid)

    walk(catalog["/StructTreeRoot"])
    # Headings in reading order: the title, then the numbered sections and the appendices.
    assert tags.count("/H1") == 1 and tags.index("/H1") < tags.index("/H2")
    assert tags.count("/H2") >= 5 and tags.count("/H3") >= plan.themes.count()
    assert tags.count("/Table") >= 2 + plan.themes.count()
    assert tags.count("/TH") >= 20 and "/THead" in tags and "/L" in tags and "/LI" in tags


def test_html_to_pdf_fetches_nothing(tmp_path):
    stylesheet = tmp_path / "injected.css"
    stylesheet.write_text('p::after { content: " FETCHED"; }', encoding="utf-8")
    html = (
        '<!doctype html><html lang="en-GB"><head><title>t</title>'
        f'<link rel="stylesheet" href="{stylesheet.as_uri()}"></head>'
        "<body><p>Before</p><p>After</p></body></html>"
    )
    _, text = _pdf_text(html_to_pdf(html))
    assert "Before" in text and "After" in text
    assert "FETCHED" not in text  # the linked stylesheet was never read


def test_a_pdf_that_cannot_be_made_sends_the_reader_back_to_the_printable_page(client, dorset, monkeypatch):
    from apps.reports import pdfs, views

    def fail(html):
        raise views.PdfError("no Pango here")

    monkeypatch.setattr(pdfs, "html_to_pdf", fail)
    plan = dorset.plans.get()
    client.force_login(_staff_of(dorset))
    response = client.get(reverse("reports:board_report_pdf", args=[plan.pk]), follow=True)
    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain[-1][0] == reverse("reports:board_report", args=[plan.pk])
    assert "The PDF could not be made on this server" in response.content.decode()
