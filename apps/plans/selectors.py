"""Reads of OD plans: each selector owns its joins, prefetches and annotations."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Value, When

from apps.core.audit import AuditEvent, HistoryEntry, audit_events, link_events
from apps.core.models import flag
from apps.organisations import permissions

from .models import (
    AuthorisationDomain,
    Deliverable,
    DeliverableQuerySet,
    MaturityLevel,
    ODPlan,
    SelfAssessment,
    SelfAssessmentScore,
    StatusUpdate,
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
        .order_by("-assessed_on", "-pk")
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
