"""Writes to board reports. The cover sheet form, the admin and any import save through
``board_report_save``: an existing cover sheet is changed by the versioned edit path
(``apps.core.edits``), a plan's first one is created here. ``issue_paper`` issues the report
to a meeting as an ``IssuedPaper``, which nothing changes afterwards."""

import hashlib
from typing import Any

import pghistory
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.bounds import NOTE_MAX_LENGTH
from apps.core.history.audit import StaleVersionError, field_label
from apps.organisations import permissions
from apps.organisations.permissions import OrganisationEdit
from apps.plans import selectors as plan_selectors
from apps.plans.models import ODPlan

from . import paper, selectors
from .models import COVER_FIELDS, PAPER_HTML_MAX_LENGTH, BoardReport, IssuedPaper
from .pdf import html_to_pdf
from .selectors import latest_report

__all__ = [
    "COVER_FIELDS",
    "IssueConflict",
    "StaleVersionError",
    "board_report_save",
    "issue_paper",
    "latest_report",
]


class CoverSheetEdit(OrganisationEdit):
    """A cover sheet's history is its audit trail: no rule or history row of its own."""

    model = BoardReport
    fields = COVER_FIELDS
    admin_fields = ("plan",)
    select_related = ("plan__organisation",)
    organisation_path = "plan__organisation"


cover_sheet_edit = CoverSheetEdit()


@transaction.atomic
def board_report_save(
    *,
    plan: ODPlan,
    acting_user: Any,
    expected_version: int,
    data: dict[str, Any],
    report_id: int | None = None,
    via: str = "ccgtrack",
) -> BoardReport:
    """Save the cover sheet of ``plan``'s report ``report_id`` from ``data``, a dict of
    COVER_FIELDS; with no ``report_id``, create the plan's first report (``expected_version``
    0).

    Refuses (PermissionDenied) anyone who may not edit the plan's organisation; refuses
    (StaleVersionError, carrying the current report) a save based on a version other than the
    one stored, and the creation of a first report when another user has created one meanwhile;
    validates the whole record (ValidationError) before anything is written. The audit trail
    (pghistory) records the change.
    """
    if report_id is not None:
        if not BoardReport.objects.filter(pk=report_id, plan=plan).exists():
            raise Http404("No such board report for this plan.")
        return cover_sheet_edit(
            pk=report_id,
            acting_user=acting_user,
            expected_version=expected_version,
            changes=data,
            note="Cover sheet saved.",
            via=via,
        )
    # Lock the plan row: it serialises the creation of a plan's first report.
    plan = ODPlan.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=plan.pk)
    permissions.require_edit(acting_user, plan.organisation)
    existing = latest_report(plan)
    if existing is not None or expected_version != 0:
        raise StaleVersionError(existing)
    unknown = set(data) - set(COVER_FIELDS)
    if unknown:
        names = sorted(field_label(BoardReport, name).lower() for name in unknown)
        raise ValidationError(f"These fields cannot be changed here: {', '.join(names)}.")
    report = BoardReport(plan=plan, version=1)
    for name, value in data.items():
        setattr(report, name, value.strip() if isinstance(value, str) else value)
    report.full_clean()
    with pghistory.context(user=acting_user.pk, note="Cover sheet created.", via=via):
        report.save()
    return report


class IssueConflict(Exception):
    """Another paper of the plan was issued at the same moment; nothing was issued."""


def issue_paper(
    *, plan_id: int, acting_user, cover_sheet_id: int, cover_sheet_version: int, correction_note: str = ""
) -> IssuedPaper:
    """Issue ``plan_id``'s board report to the meeting its cover sheet names, as an
    ``IssuedPaper``: the snapshot of everything the paper shows, what changed since the paper
    before, the HTML as rendered now and the PDF rendered once, stored through Django's file
    storage with its SHA-256.

    ``cover_sheet_id`` and ``cover_sheet_version`` are the cover sheet the user confirmed: a
    cover sheet changed (or replaced by a later one) since refuses with StaleVersionError. Only
    staff who may edit the plan's organisation may issue (PermissionDenied). When the latest
    paper that stands is for the same meeting, this paper is a correction that supersedes it,
    and ``correction_note`` must say what it corrects (ValidationError); its changes are counted
    from the paper before the one it corrects. Two papers of one plan issued at the same moment:
    the second raises IssueConflict. Nothing is written unless everything is.

    On its own transaction the data is read at REPEATABLE READ, so every part of the paper is
    read from one consistent view of the database, the moment ``read_at`` names.
    """
    read_at = timezone.localtime(timezone.now())
    arguments = {
        "plan_id": plan_id,
        "acting_user": acting_user,
        "cover_sheet_id": cover_sheet_id,
        "cover_sheet_version": cover_sheet_version,
        "correction_note": correction_note,
        "read_at": read_at,
    }
    if connection.in_atomic_block:  # a caller's transaction: its isolation level stands
        with transaction.atomic():
            return _issue(**arguments)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _issue(**arguments)
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) == "40001":  # serialization failure
            raise IssueConflict("The plan changed while the paper was being issued.") from error
        raise


def _issue(*, plan_id, acting_user, cover_sheet_id, cover_sheet_version, correction_note, read_at):
    # The plan's row lock serialises the papers of one plan; the unique (plan, number)
    # constraint catches what a lock taken after the snapshot cannot.
    plan = ODPlan.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=plan_id)
    permissions.require_edit(acting_user, plan.organisation)
    cover = latest_report(plan)
    if cover is None:
        raise ValidationError(
            "Write the cover sheet first: the paper takes its title and meeting date from it."
        )
    if cover.pk != cover_sheet_id or cover.version != cover_sheet_version:
        raise StaleVersionError(cover)
    latest = selectors.latest_current_paper(plan.pk)
    correcting = latest if latest is not None and latest.meeting_date == cover.meeting_date else None
    note = (correction_note or "").strip()
    if correcting is not None and not note:
        raise ValidationError(
            {
                "correction_note": f"Paper {correcting.number} was issued for this meeting already: say what "
                "this correction corrects."
            }
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"correction_note": f"Keep the note to {NOTE_MAX_LENGTH} characters."})
    if correcting is None:
        note = ""
        baseline = latest
    else:
        baseline = IssuedPaper.objects.get(pk=correcting.previous_id) if correcting.previous_id else None
    number = (IssuedPaper.objects.filter(plan=plan).aggregate(n=Max("number"))["n"] or 0) + 1

    snapshot = selectors.paper_data(
        plan=plan_selectors.plan_detail(plan_id=plan.pk, user=acting_user).plan, read_at=read_at
    )
    snapshot["changes"] = selectors.changes_since(snapshot, baseline)
    snapshot["issue"] = {
        "number": number,
        "meeting_date": cover.meeting_date.isoformat(),
        "title": cover.title,
        "issued_by": paper.person(acting_user),
        "supersedes": paper.paper_ref(correcting) if correcting else None,
        "correction_note": note,
    }
    body = paper.context(snapshot)
    html = render_to_string("reports/_report_body.html", {"paper": body, "pdf": False})
    if len(html) > PAPER_HTML_MAX_LENGTH:
        raise ValidationError(
            f"This paper is too long to issue: {len(html):,} characters, at most {PAPER_HTML_MAX_LENGTH:,}."
        )
    # Whatever bytes the report's PDF renderer makes are kept as they are (PdfError: nothing issued).
    pdf = html_to_pdf(render_to_string("reports/board_report_pdf.html", {"paper": body}))
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    name = default_storage.save(
        f"issued-papers/{plan.organisation.slug}/plan-{plan.pk}/paper-{number}-{pdf_sha256[:16]}.pdf",
        ContentFile(pdf),
    )
    try:
        with transaction.atomic():
            issued = IssuedPaper.objects.create(
                plan=plan,
                number=number,
                cover_sheet=cover,
                meeting_date=cover.meeting_date,
                title=cover.title,
                read_at=read_at,
                issued_by=acting_user,
                issued_by_name=paper.person(acting_user),
                supersedes=correcting,
                previous=baseline,
                correction_note=note,
                snapshot=snapshot,
                html=html,
                html_sha256=hashlib.sha256(html.encode("utf-8")).hexdigest(),
                pdf=name,
                pdf_sha256=pdf_sha256,
                pdf_size=len(pdf),
                **paper.figures(snapshot),
            )
    except IntegrityError as error:
        default_storage.delete(name)
        if "issued_paper_number_unique_in_plan" in str(error) or "supersedes_id" in str(error):
            raise IssueConflict("Another paper of this plan was issued at the same moment.") from error
        raise
    except BaseException:
        default_storage.delete(name)
        raise
    return issued
