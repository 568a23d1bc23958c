"""Reads for board reports and issued papers. The live report is read into the same snapshot
an issued paper keeps (``apps.reports.paper``), so both are rendered, and compared, the same
way. A fixed number of queries whatever the number of deliverables, risks or issued papers."""

import datetime
import hashlib
import logging

from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import IntegerField, Prefetch, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from apps.assurance import paper as assurance_paper
from apps.organisations import permissions
from apps.plans import selectors as plan_selectors
from apps.plans.models import (
    Deliverable,
    DeliverableEvent,
    MaturityLevel,
    SelfAssessment,
    SelfAssessmentScore,
    StatusUpdate,
)
from apps.risks.models import BandScheme, Risk

from . import paper
from .models import BoardReport, IssuedPaper

# What lists of papers load: never the snapshot or the HTML.
LIST_FIELDS = (
    "id",
    "plan_id",
    "number",
    "meeting_date",
    "title",
    "read_at",
    "issued_at",
    "issued_by_name",
    "supersedes_id",
    "previous_id",
    "pdf_sha256",
    "pdf_size",
    "deliverable_count",
    "delivered_count",
    "overdue_count",
    "open_risk_count",
    "red_risk_count",
    "red_residual_risk_count",
)


def latest_report(plan) -> BoardReport | None:
    """The plan's latest cover sheet (by meeting date), or None: the one the report uses."""
    return BoardReport.objects.filter(plan=plan).order_by("-meeting_date", "-pk").first()


def deliverable_marks(plan) -> dict[int, dict]:
    """Per current deliverable of ``plan`` (by id): its latest progress note
    (``latest_note``: the newest status update with a note, its text, when and by whom), and,
    from the audit trail, when its status last changed (``status_changed_at``) and when each of
    its narratives was last written (``delivered_narrative_at``, ``in_progress_narrative_at``):
    the moment of the event in which the value became what it is. Two queries, whatever the
    number of deliverables or of their history rows."""
    marks: dict[int, dict] = {}
    notes = (
        StatusUpdate.objects.filter(deliverable__theme__plan=plan, deliverable__archived_at__isnull=True)
        .exclude(note="")
        .select_related("created_by")
        .order_by("deliverable_id", "-created_at", "-pk")
        .distinct("deliverable_id")
    )
    for update in notes:
        marks.setdefault(update.deliverable_id, {})["latest_note"] = {
            "text": update.note,
            "at": update.created_at.isoformat(),
            "by": paper.person(update.created_by),
        }
    ids_sql, ids_params = (
        Deliverable.objects.current().filter(theme__plan=plan).order_by().values("id").query.sql_with_params()
    )
    # Each history row, against the row before it of the same deliverable: did the status or a
    # narrative change there? The latest such row of each is when it last changed.
    sql = f"""
        SELECT pgh_obj_id,
               MAX(pgh_created_at) FILTER (WHERE status_changed),
               MAX(pgh_created_at) FILTER (WHERE delivered_changed),
               MAX(pgh_created_at) FILTER (WHERE in_progress_changed)
        FROM (
            SELECT pgh_obj_id, pgh_created_at,
                   status IS DISTINCT FROM LAG(status) OVER w AS status_changed,
                   delivered_narrative IS DISTINCT FROM LAG(delivered_narrative) OVER w AS delivered_changed,
                   in_progress_narrative IS DISTINCT FROM LAG(in_progress_narrative) OVER w
                       AS in_progress_changed
            FROM {DeliverableEvent._meta.db_table}
            WHERE pgh_obj_id IN ({ids_sql})
            WINDOW w AS (PARTITION BY pgh_obj_id ORDER BY pgh_id)
        ) history
        GROUP BY pgh_obj_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, ids_params)
        for pk, status_at, delivered_at, in_progress_at in cursor.fetchall():
            marks.setdefault(pk, {}).update(
                status_changed_at=status_at.isoformat() if status_at else None,
                delivered_narrative_at=delivered_at.isoformat() if delivered_at else None,
                in_progress_narrative_at=in_progress_at.isoformat() if in_progress_at else None,
            )
    return marks


def paper_data(*, plan, read_at: datetime.datetime | None = None) -> dict:
    """The snapshot of ``plan``'s report as the data stands now (``plan`` as
    ``plans.selectors.plan_detail`` returns it). Sixteen queries (seven of them the framework's)."""
    read_at = timezone.localtime(read_at or timezone.now())
    scheme = BandScheme.current()
    risks = (
        Risk.objects.current()
        .filter(organisation=plan.organisation_id)
        .with_ratings(scheme)
        .select_related("owner")
    )
    assessment = (
        SelfAssessment.objects.filter(organisation=plan.organisation_id)
        .prefetch_related(Prefetch("scores", queryset=SelfAssessmentScore.objects.select_related("domain")))
        .latest_first()
        .first()
    )
    snapshot = paper.build(
        plan=plan,
        report=latest_report(plan),
        risks=list(risks),
        scheme=scheme,
        assessment=assessment,
        levels=list(MaturityLevel.objects.all()),
        read_at=read_at,
        marks=_with_evidence(deliverable_marks(plan), plan),
    )
    # The organisation's Board Assurance Framework, frozen with the rest of the paper.
    snapshot["baf"] = assurance_paper.snapshot(plan.organisation_id)
    return snapshot


def _with_evidence(marks: dict[int, dict], plan) -> dict[int, dict]:
    """``marks`` with each delivered deliverable's evidence (``evidence``: title, date,
    fingerprint), as the paper keeps it. One query."""
    from apps.evidence.selectors import evidence_by_deliverable

    delivered = [
        d.pk
        for theme in plan.themes.all()
        for d in theme.deliverables.all()
        if d.status in Deliverable.DELIVERED_STATUSES
    ]
    for pk, items in evidence_by_deliverable(delivered).items():
        marks.setdefault(pk, {})["evidence"] = items
    return marks


def visible_papers(user):
    """Issued papers of the plans the user may see (a lazy queryset)."""
    return IssuedPaper.objects.filter(permissions.visible_q(user, "plan__organisation"))


def issued_pdf_bytes(issued: IssuedPaper) -> bytes | None:
    """The PDF kept when ``issued`` was issued, byte for byte; None (and an error logged) when
    it is missing or does not match its SHA-256. The paper's page and the API both read it so."""
    data = None
    try:
        if issued.pdf.name:
            with default_storage.open(issued.pdf.name, "rb") as stream:
                data = stream.read()
    except OSError:
        data = None
    if data is None or hashlib.sha256(data).hexdigest() != issued.pdf_sha256:
        logging.getLogger("apps.reports.views").error(
            "Issued paper %s: its PDF is missing or does not match its SHA-256.", issued.pk
        )
        return None
    return data


def current_papers(plan_id: int) -> QuerySet[IssuedPaper]:
    """The plan's papers that no correction has superseded, latest first."""
    return IssuedPaper.objects.filter(plan_id=plan_id, superseded_by__isnull=True).order_by("-number")


def latest_current_paper(plan_id: int) -> IssuedPaper | None:
    """The plan's latest paper that stands (not superseded), with its snapshot, or None."""
    return current_papers(plan_id).first()


def status_updates_between(plan_id, start, end):
    """The status changes recorded on the plan's deliverables after ``start`` up to ``end``
    (either may be None: open), oldest first, as a paper keeps them."""
    updates = StatusUpdate.objects.filter(deliverable__theme__plan_id=plan_id).select_related("created_by")
    if start is not None:
        updates = updates.filter(created_at__gt=start)
    if end is not None:
        updates = updates.filter(created_at__lte=end)
    return paper.status_update_rows(updates.order_by("created_at", "pk"))


def changes_since(snapshot: dict, baseline: IssuedPaper | None) -> dict | None:
    """What changed from the issued paper ``baseline`` (or None) to ``snapshot``."""
    if baseline is None:
        return None
    updates = status_updates_between(
        snapshot["plan"]["id"], baseline.read_at, datetime.datetime.fromisoformat(snapshot["read_at"])
    )
    return paper.compare(baseline.snapshot, snapshot, updates=updates, since=paper.paper_ref(baseline))


def changes_between(earlier: IssuedPaper, later: IssuedPaper) -> dict:
    """What changed from issued paper ``earlier`` to issued paper ``later`` of the same plan."""
    updates = status_updates_between(earlier.plan_id, earlier.read_at, later.read_at)
    return paper.compare(earlier.snapshot, later.snapshot, updates=updates, since=paper.paper_ref(earlier))


def board_report(*, plan_id, user):
    """Everything the live report page and its PDF show, with what changed since the latest
    paper that stands. Raises ODPlan.DoesNotExist for a plan the user may not see."""
    return board_report_of(plan_selectors.plan_detail(plan_id=plan_id, user=user).plan)


def board_report_of(plan):
    """``board_report`` of ``plan`` (from ``plan_detail``), whoever reads it: the same for every
    reader who may see the plan (the task worker makes its PDF ahead of them)."""
    snapshot = paper_data(plan=plan)
    baseline = latest_current_paper(plan.pk)
    snapshot["changes"] = changes_since(snapshot, baseline)
    body = paper.context(snapshot)
    return {
        "plan": plan,
        "paper": body,
        "snapshot": snapshot,
        "baseline": baseline,
        "totals": body["totals"],
        "read_at": body["read_at"],
    }


def plan_papers(*, plan_id, user):
    """A plan the user may see and its issued papers, latest first (two queries)."""
    plan = plan_selectors.plan_list(user=user).get(pk=plan_id)
    papers = list(
        IssuedPaper.objects.filter(plan=plan)
        .only(*LIST_FIELDS, "superseded_by__id", "superseded_by__number")
        .select_related("superseded_by")
        .order_by("-number")
    )
    return plan, papers


def paper_detail(*, paper_id, user):
    """An issued paper the user may see, with its plan, and the paper that superseded it, if
    any (one query). Raises IssuedPaper.DoesNotExist otherwise."""
    return (
        visible_papers(user)
        .select_related("plan__organisation", "supersedes", "superseded_by")
        .defer(
            "snapshot",
            "supersedes__snapshot",
            "supersedes__html",
            "superseded_by__snapshot",
            "superseded_by__html",
        )
        .get(pk=paper_id)
    )


def paper_pair(*, first_id, second_id, user):
    """Two issued papers of the same plan that the user may see, earlier first, with their
    snapshots (one query). Raises IssuedPaper.DoesNotExist otherwise."""
    papers = list(
        visible_papers(user)
        .filter(pk__in=[first_id, second_id])
        .select_related("plan__organisation")
        .defer("html")
        .order_by("number")
    )
    if first_id == second_id or len(papers) != 2 or papers[0].plan_id != papers[1].plan_id:
        raise IssuedPaper.DoesNotExist("No such pair of papers of one plan.")
    return papers


def organisation_papers(orgs):
    """Issued papers of the plans of ``orgs`` (a subquery of organisation pks), latest first,
    without their snapshots but for the number of delivered deliverables with further work in
    progress (``further_work``, read from the snapshot's totals): for the dashboard's list and
    trend (one query)."""
    return list(
        IssuedPaper.objects.filter(plan__organisation__in=orgs)
        .only(
            *LIST_FIELDS,
            "plan__id",
            "plan__title",
            "plan__organisation__id",
            "plan__organisation__name",
            "superseded_by__id",
            "superseded_by__number",
            "superseded_by__issued_at",
        )
        .annotate(further_work=Cast(KT("snapshot__totals__further_work"), IntegerField()))
        .select_related("plan__organisation", "superseded_by")
        .order_by("-read_at", "-pk")
    )
