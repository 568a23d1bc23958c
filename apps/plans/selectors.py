"""Reads of OD plans: each selector owns its joins, prefetches and annotations."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Value, When

from apps.core.history.as_at import AsAt, standing
from apps.core.history.audit import AuditEvent, HistoryEntry, audit_events, link_events
from apps.core.models import flag
from apps.organisations import permissions

from .models import (
    AuthorisationDomain,
    Deliverable,
    DeliverableAsAt,
    DeliverableAsAtQuerySet,
    DeliverableQuerySet,
    MaturityLevel,
    Objective,
    ODPlan,
    SelfAssessment,
    SelfAssessmentScore,
    StatusUpdate,
    StatusUpdateQuerySet,
    Theme,
    due_soon_q,
    overdue_q,
    stale_q,
)

# Counts and percentages of delivered / in progress / not started: "total", "delivered",
# "delivered_pct", "in_progress", "in_progress_pct", "not_started", "not_started_pct".
Progress = dict[str, int | float]


@dataclass(frozen=True)
class ThemeDetail:
    """A theme of a plan with the progress of its deliverables, and the deliverables grouped
    under their subheadings (in the plan's order)."""

    theme: Theme
    progress: Progress
    subheaded: list[tuple[str, list[Deliverable]]]


@dataclass(frozen=True)
class PlanDetail:
    """A plan with the progress of all its deliverables and its themes."""

    plan: ODPlan
    progress: Progress
    themes: list[ThemeDetail]


@dataclass(frozen=True)
class DomainAssessment:
    """One authorisation domain on the self-assessment page: the organisation's score in it, the
    maturity level that score falls in, and the deliverables of its plans that serve it."""

    domain: AuthorisationDomain
    score: SelfAssessmentScore | None
    level: MaturityLevel | None
    tagged: list[Deliverable] = field(default_factory=list)
    progress: Progress = field(default_factory=dict)
    overdue_count: int = 0


def deliverable_list(*, user: Any) -> DeliverableQuerySet:
    """Every deliverable the user may see, ready for a table (no query per row)."""
    return (
        Deliverable.objects.visible_to(user)
        .select_related("theme__plan__organisation", "owner")
        .prefetch_related("domains")
    )


def plan_list(*, user: Any) -> QuerySet[ODPlan]:
    return ODPlan.objects.filter(permissions.visible_q(user, "organisation")).select_related("organisation")


def plan_detail(*, plan_id: int, user: Any) -> PlanDetail:
    """A plan with its themes, objectives and deliverables, and progress per theme."""
    return plan_detail_among(plan_list(user=user), plan_id)


def plan_detail_among(plans: QuerySet[ODPlan], plan_id: int) -> PlanDetail:
    """``plan_detail`` of the plan ``plan_id`` among ``plans``: a user's ``plan_list``, or, for
    work done ahead of any reader (the board report's PDF, made by the task worker), every plan."""
    deliverables = Deliverable.objects.current().select_related("owner").prefetch_related("domains")
    plan = (
        plans.select_related("organisation")
        .prefetch_related(
            Prefetch(
                "themes",
                queryset=Theme.objects.prefetch_related(
                    "objectives", Prefetch("deliverables", queryset=deliverables)
                ),
            )
        )
        .get(pk=plan_id)
    )
    themes = [
        ThemeDetail(
            theme=theme,
            progress=progress(Deliverable.bucket(d.status) for d in theme.deliverables.all()),
            subheaded=_group_by_subheading(theme.deliverables.all()),
        )
        for theme in plan.themes.all()
    ]
    overall = progress(Deliverable.bucket(d.status) for row in themes for d in row.theme.deliverables.all())
    return PlanDetail(plan=plan, progress=overall, themes=themes)


def _group_by_subheading(deliverables: Iterable[Deliverable]) -> list[tuple[str, list[Deliverable]]]:
    groups: defaultdict[str, list[Deliverable]] = defaultdict(list)
    order: list[str] = []
    for d in deliverables:
        if d.subheading not in groups:
            order.append(d.subheading)
        groups[d.subheading].append(d)
    return [(heading, groups[heading]) for heading in order]


def progress(buckets: Iterable[str]) -> Progress:
    """Counts and percentages of delivered / in progress / not started, from bucket names."""
    return progress_from_counts(Counter(buckets))


def progress_from_counts(counts: Mapping[str, int]) -> Progress:
    """The same, from a mapping of bucket name to count."""
    total = sum(counts.values())
    result: Progress = {"total": total}
    for bucket in ("delivered", "in_progress", "not_started"):
        result[bucket] = counts.get(bucket, 0)
        result[f"{bucket}_pct"] = round(100 * counts.get(bucket, 0) / total, 1) if total else 0
    return result


def deliverable_history(
    deliverable: Deliverable,
) -> tuple[list[HistoryEntry[StatusUpdate]], list[AuditEvent]]:
    """The user-facing updates and the PostgreSQL audit trail of one deliverable."""
    updates = list(StatusUpdate.objects.filter(deliverable=deliverable).select_related("created_by"))
    events = audit_events(deliverable)
    return link_events(updates, events), events


def self_assessment(
    *, organisation: Any
) -> tuple[SelfAssessment | None, list[MaturityLevel], list[DomainAssessment]]:
    """The latest self-assessment, the maturity levels, and per authorisation domain the score,
    its maturity level and the deliverables of the organisation's plans that serve it (four
    queries)."""
    assessment = (
        SelfAssessment.objects.filter(organisation=organisation)
        .prefetch_related(Prefetch("scores", queryset=SelfAssessmentScore.objects.select_related("domain")))
        .latest_first()
        .first()
    )
    levels = list(MaturityLevel.objects.all())
    scores: dict[int, SelfAssessmentScore] = {}
    if assessment:
        scores = {score.domain_id: score for score in assessment.scores.all()}
    deliverables = (
        Deliverable.objects.current()
        .filter(theme__plan__organisation=organisation)
        .select_related("theme__plan")
        .prefetch_related("domains")
    )
    by_domain: defaultdict[int, list[Deliverable]] = defaultdict(list)
    for deliverable in deliverables:
        for domain in deliverable.domains.all():
            by_domain[domain.pk].append(deliverable)
    rows = []
    for domain in AuthorisationDomain.objects.all():
        score = scores.get(domain.pk)
        tagged = by_domain.get(domain.pk, [])
        rows.append(
            DomainAssessment(
                domain=domain,
                score=score,
                level=MaturityLevel.for_score(score.score_percent, levels) if score else None,
                tagged=tagged,
                progress=progress(Deliverable.bucket(d.status) for d in tagged),
                overdue_count=sum(1 for d in tagged if d.overdue),
            )
        )
    return assessment, levels, rows


def owned_by(user, *, today=None, now=None):
    """The open deliverables and actions ``user`` owns, in the organisations they may still see,
    overdue first, then due soon, then the rest (each by deadline, then plan and reference).

    Each row carries three flags, from the one definition of each (``apps.plans.models``):
    ``is_overdue`` (deadline passed), ``is_due_soon`` (deadline today or within SOON_DAYS days)
    and ``is_stale`` (not changed for STALE_DAYS days). Delivered work is left out. One query;
    "My work" and the owners' reminders both read it. ``today`` and ``now`` are for tests."""
    return (
        Deliverable.objects.visible_to(user)
        .filter(owner=user)
        .exclude(status__in=Deliverable.DELIVERED_STATUSES)
        .select_related("theme__plan__organisation", "owner")
        .annotate(
            is_overdue=flag(overdue_q(today)),
            is_due_soon=flag(due_soon_q(today)),
            is_stale=flag(stale_q(now)),
        )
        .annotate(
            urgency=Case(
                When(is_overdue=True, then=Value(0)),
                When(is_due_soon=True, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by(
            "urgency",
            F("deadline").asc(nulls_last=True),
            "theme__plan__title",
            "theme__number",
            "position",
        )
    )


# How many plans the deliverables list offers "Add a deliverable to ..." buttons for, at most.
ADD_TARGETS_MAX = 4


def add_targets(*, user: Any, chosen: int | None = None) -> list[ODPlan]:
    """The plans the deliverables list offers to add to: the one it is filtered to, if the user
    may edit it; else the plans of the organisations where the user is staff or an organisation
    administrator; for an administrator without such a membership, every plan. None when there
    are more than ADD_TARGETS_MAX (each plan's page offers it)."""
    editable = ODPlan.objects.filter(organisation__in=permissions.editable_organisations(user))
    if chosen is not None:
        found = list(editable.filter(pk=chosen))
        if found:
            return found
    if permissions.is_admin(user) and not permissions.home_organisations(user).exists():
        plans = editable
    else:
        plans = ODPlan.objects.filter(organisation__in=permissions.home_organisations(user))
    targets = list(plans.order_by("title", "pk")[: ADD_TARGETS_MAX + 1])
    return targets if len(targets) <= ADD_TARGETS_MAX else []


def archived_deliverables(*, user: Any, visible: bool = False) -> QuerySet[Deliverable]:
    """The archived deliverables of the organisations the user may edit (and so restore), newest
    archived first; ``visible``: of those the user may see."""
    organisations = (permissions.visible_organisations if visible else permissions.editable_organisations)(
        user
    )
    return (
        Deliverable.objects.filter(archived_at__isnull=False, theme__plan__organisation__in=organisations)
        .select_related("theme__plan__organisation")
        .order_by("-archived_at", "-pk")
    )


def visible_themes(*, user: Any) -> QuerySet[Theme]:
    return Theme.objects.filter(
        plan__organisation__in=permissions.visible_organisations(user)
    ).select_related("plan__organisation")


def visible_objectives(*, user: Any) -> QuerySet[Objective]:
    return Objective.objects.filter(
        theme__plan__organisation__in=permissions.visible_organisations(user)
    ).select_related("theme__plan__organisation")


def visible_self_assessments(*, user: Any) -> QuerySet[SelfAssessment]:
    return SelfAssessment.objects.filter(
        organisation__in=permissions.visible_organisations(user)
    ).select_related("organisation")


@dataclass(frozen=True)
class AssessmentChange:
    """One save of a self-assessment as its history shows it: when, who, how, the note, and what
    changed (label, before, after), scores named by their domain."""

    created_at: Any
    actor: Any
    note: str
    lines: list[tuple[str, str, str]]


ASSESSMENT_LABELS = {
    "assessed_label": "Assessment",
    "assessed_on": "Date assessed",
    "tool": "Tool",
    "notes": "Narrative",
    "organisation": "Organisation",
}


def self_assessment_history(assessment: SelfAssessment) -> list[AssessmentChange]:
    """Every change of ``assessment`` and its scores, newest first, one entry per save (the
    audit trail's events grouped by their context). Three queries."""
    events = audit_events(assessment, referencing=True)
    domains = {d.pk: d for d in AuthorisationDomain.objects.all()}
    grouped: dict[Any, list[AuditEvent]] = {}
    for event in events:
        grouped.setdefault(event.context_id or event.created_at, []).append(event)
    history = []
    for group in grouped.values():
        lines = []
        scores = []
        for event in group:
            if event.model.endswith("SelfAssessmentScoreEvent"):
                domain = domains.get(event.data.get("domain_id", event.data.get("domain")))
                label = f"{domain.number}. {domain.name}" if domain else "Score"
                if event.label == "insert":
                    scores.append((label, "", _percent(event.data.get("score_percent"))))
                for before, after in event.changed.values():
                    scores.append((label, _percent(before), _percent(after)))
            elif event.label == "insert":
                lines.append(("Recorded", "", str(event.data.get("assessed_label", ""))))
            else:
                for name, (before, after) in event.changed.items():
                    lines.append((ASSESSMENT_LABELS.get(name, name), str(before or ""), str(after or "")))
        lines += sorted(scores)
        first = group[0]
        history.append(AssessmentChange(first.created_at, first.actor, first.note, lines))
    return history


def _percent(value: Any) -> str:
    """A score as the audit trail holds it (a number), as a percentage: 40.0 is "40%"."""
    if value in (None, ""):
        return ""
    return f"{float(value):g}%"


# --- As at a date (apps.core.history.as_at): the deliverables as they stood ----------------------


def standing_deliverables(as_at: AsAt) -> DeliverableAsAtQuerySet:
    """Every deliverable as it stood at ``as_at`` (a queryset of ``DeliverableAsAt``), archived
    ones too: ``current()`` leaves out those archived by then."""
    return standing(DeliverableAsAt, as_at)


def deliverables_as_at(as_at: AsAt, *, user) -> DeliverableAsAtQuerySet:
    """The deliverables ``user`` may see, as they stood, ready for the list: theme, plan,
    organisation and owner joined, the domains (as they are now) prefetched, overdue judged on
    the as-at day."""
    return (
        standing_deliverables(as_at)
        .visible_to(user)
        .select_related("theme__plan__organisation", "owner")
        .prefetch_related("pgh_obj__domains")
        .with_overdue(as_at.day)
    )


def status_updates_as_at(
    as_at: AsAt, deliverables: QuerySet[DeliverableAsAt] | None = None
) -> StatusUpdateQuerySet:
    """The status history as it stood: the updates recorded up to the moment; with
    ``deliverables`` (standing rows), only theirs."""
    updates = StatusUpdate.objects.filter(created_at__lte=as_at.moment)
    if deliverables is not None:
        updates = updates.filter(deliverable_id__in=deliverables.values("id"))
    return updates
