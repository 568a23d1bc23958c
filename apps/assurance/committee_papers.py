"""Committee papers: a committee's paper issued to its meeting as the board's paper is
(``apps.reports.services.issue_paper``): the snapshot frozen, the HTML as rendered then, the PDF
rendered once by the reports app's renderer (``apps.reports.pdf``), numbered per committee, with
"changes since" its paper before, a correction superseding the paper it corrects.

Why a model of its own rather than the reports app's ``IssuedPaper``: that one belongs to a plan
and a cover sheet, and its figures, comparison and templates are the plan's (deliverables,
themes, the self-assessment); a committee's paper has none of them. What both share is reused:
the PDF renderer, the framework's snapshot and comparison (``apps.assurance.paper``), the way a
paper is issued (one consistent read, a row lock, immutable rows) and the checked PDF reader."""

import datetime
import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.bounds import NOTE_MAX_LENGTH
from apps.organisations import permissions

from . import paper
from .models import COMMITTEE_PAPER_HTML_MAX_LENGTH, Committee, CommitteePaper

TITLE_MAX_LENGTH = 300
LIST_FIELDS = (
    "pk",
    "committee_id",
    "number",
    "meeting_date",
    "title",
    "read_at",
    "issued_at",
    "issued_by_name",
    "supersedes_id",
    "previous_id",
    "correction_note",
    "pdf_size",
    "principal_risk_count",
    "outside_appetite_count",
)


class IssueConflict(Exception):
    """Another paper of the committee was issued meanwhile; nothing was issued."""


def person(user: Any) -> str:
    """A user's name as a paper prints it (as the board's paper does)."""
    from apps.reports.paper import person as board_person

    return board_person(user)


def current_papers(committee_id: int) -> QuerySet[CommitteePaper]:
    """The committee's papers that no correction has superseded, latest first."""
    return CommitteePaper.objects.filter(committee_id=committee_id, superseded_by__isnull=True).order_by(
        "-number"
    )


def papers_of(committee: Committee) -> list[CommitteePaper]:
    """The committee's issued papers, latest first, without their snapshots (one query)."""
    return list(
        CommitteePaper.objects.filter(committee=committee)
        .only(*LIST_FIELDS, "superseded_by__id", "superseded_by__number")
        .select_related("superseded_by")
        .order_by("-number")
    )


def latest_number(committee_id: int) -> int:
    return CommitteePaper.objects.filter(committee_id=committee_id).aggregate(n=Max("number"))["n"] or 0


def paper_detail(*, user: Any, paper_id: int) -> CommitteePaper:
    """A committee paper the user may see, with its committee and organisation and the papers it
    supersedes and that superseded it (one query). Raises CommitteePaper.DoesNotExist."""
    return (
        CommitteePaper.objects.filter(permissions.visible_q(user, "committee__organisation"))
        .select_related("committee__organisation", "supersedes", "superseded_by")
        .defer(
            "snapshot",
            "supersedes__snapshot",
            "supersedes__html",
            "superseded_by__snapshot",
            "superseded_by__html",
        )
        .get(pk=paper_id)
    )


def pdf_bytes(issued: CommitteePaper) -> bytes | None:
    """The PDF kept at issue, byte for byte, or None (logged) when missing or altered: the board
    paper's checked reader, which reads any paper with ``pdf`` and ``pdf_sha256``."""
    from apps.reports.selectors import issued_pdf_bytes

    return issued_pdf_bytes(issued)  # type: ignore[arg-type]


def issue_committee_paper(
    *,
    committee_id: int,
    acting_user: Any,
    meeting_date: datetime.date,
    title: str,
    latest_seen: int,
    correction_note: str = "",
) -> CommitteePaper:
    """Issue a paper to the meeting of ``committee_id`` on ``meeting_date``: the snapshot of the
    principal risks it monitors and the assurances it has received, what changed since its paper
    before, the HTML rendered now and the PDF rendered once, kept with their SHA-256.

    Staff and organisation administrators of the committee's organisation only
    (PermissionDenied). ``latest_seen`` is the number of the committee's latest paper the user
    was shown (0: none): another issued since refuses with IssueConflict. When the latest paper
    that stands is for the same meeting, this paper corrects and supersedes it, and
    ``correction_note`` must say what it corrects (ValidationError); its changes are counted from
    the paper before the one it corrects. Nothing is written unless everything is; on its own
    transaction every part is read at REPEATABLE READ, at the moment ``read_at`` names."""
    arguments = {
        "committee_id": committee_id,
        "acting_user": acting_user,
        "meeting_date": meeting_date,
        "title": (title or "").strip(),
        "latest_seen": latest_seen,
        "correction_note": (correction_note or "").strip(),
        "read_at": timezone.localtime(timezone.now()),
    }
    if connection.in_atomic_block:
        with transaction.atomic():
            return _issue(**arguments)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _issue(**arguments)
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) == "40001":
            raise IssueConflict("The committee's data changed while the paper was being issued.") from error
        raise


def _issue(*, committee_id, acting_user, meeting_date, title, latest_seen, correction_note, read_at):
    committee = (
        Committee.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=committee_id)
    )
    permissions.require_edit(acting_user, committee.organisation)
    errors = {}
    if not title:
        errors["title"] = "Give the paper a title."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"Keep the title to {TITLE_MAX_LENGTH} characters."
    if len(correction_note) > NOTE_MAX_LENGTH:
        errors["correction_note"] = f"Keep the note to {NOTE_MAX_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    number = latest_number(committee.pk) + 1
    if latest_seen != number - 1:
        raise IssueConflict("Another paper of this committee was issued meanwhile.")
    latest = current_papers(committee.pk).first()
    correcting = latest if latest is not None and latest.meeting_date == meeting_date else None
    if correcting is not None and not correction_note:
        raise ValidationError(
            {
                "correction_note": f"Paper {correcting.number} was issued for this meeting already: say what "
                "this correction corrects."
            }
        )
    if correcting is None:
        correction_note = ""
        baseline = latest
    else:
        baseline = CommitteePaper.objects.get(pk=correcting.previous_id) if correcting.previous_id else None

    framework = paper.snapshot(committee.organisation_id, committee_id=committee.pk)
    snapshot: dict[str, Any] = {
        "committee": {
            "id": committee.pk,
            "name": committee.name,
            "purpose": committee.purpose,
            "organisation": committee.organisation.name,
        },
        "read_at": read_at.isoformat(),
        "framework": framework,
        "received": paper.received_by(committee.pk),
        "since": paper.paper_ref(baseline) if baseline else None,
        "changes": paper.compare(baseline.snapshot["framework"], framework) if baseline else None,
        "issue": {
            "number": number,
            "meeting_date": meeting_date.isoformat(),
            "title": title,
            "issued_by": person(acting_user),
            "supersedes": paper.paper_ref(correcting) if correcting else None,
            "correction_note": correction_note,
        },
    }
    body = paper.committee_context(snapshot)
    html = render_to_string("assurance/_committee_paper_body.html", {"paper": body})
    if len(html) > COMMITTEE_PAPER_HTML_MAX_LENGTH:
        raise ValidationError(
            f"This paper is too long to issue: {len(html):,} characters, at most "
            f"{COMMITTEE_PAPER_HTML_MAX_LENGTH:,}."
        )
    from apps.reports.pdf import html_to_pdf  # the board paper's renderer (PdfError: nothing issued)

    pdf = html_to_pdf(render_to_string("assurance/committee_paper_pdf.html", {"paper": body}))
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    name = default_storage.save(
        f"committee-papers/{committee.organisation.slug}/committee-{committee.pk}/"
        f"paper-{number}-{pdf_sha256[:16]}.pdf",
        ContentFile(pdf),
    )
    try:
        with transaction.atomic():
            issued = CommitteePaper.objects.create(
                committee=committee,
                number=number,
                meeting_date=meeting_date,
                title=title,
                read_at=read_at,
                issued_by=acting_user,
                issued_by_name=person(acting_user),
                supersedes=correcting,
                previous=baseline,
                correction_note=correction_note,
                snapshot=snapshot,
                html=html,
                html_sha256=hashlib.sha256(html.encode("utf-8")).hexdigest(),
                pdf=name,
                pdf_sha256=pdf_sha256,
                pdf_size=len(pdf),
                principal_risk_count=len(framework),
                outside_appetite_count=sum(1 for p in framework if p["outside_appetite"]),
            )
    except IntegrityError as error:
        default_storage.delete(name)
        if "committee_paper_number_unique_in_committee" in str(error) or "supersedes_id" in str(error):
            raise IssueConflict("Another paper of this committee was issued at the same moment.") from error
        raise
    except BaseException:
        default_storage.delete(name)
        raise
    return issued
