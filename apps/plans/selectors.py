"""Reads of OD plans: each selector owns its joins, prefetches and annotations."""

from collections import Counter, defaultdict

from django.db.models import BooleanField, Case, F, IntegerField, Prefetch, Value, When

from apps.core.audit import audit_events, link_events
from apps.organisations import permissions

from .models import (
    AuthorisationDomain,
    Deliverable,
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


def deliverable_list(*, user):
    """Every deliverable the user may see, ready for a table (no query per row)."""
    return (
        Deliverable.objects.visible_to(user)
        .select_related("theme__plan__organisation", "owner")
        .prefetch_related("domains")
    )


def plan_list(*, user):
    return ODPlan.objects.filter(organisation__in=permissions.visible_organisations(user)).select_related(
        "organisation"
    )


def plan_detail(*, plan_id, user):
    """A plan with its themes, objectives and deliverables, and progress per theme."""
    deliverables = Deliverable.objects.current().select_related("owner").prefetch_related("domains")
    plan = (
        plan_list(user=user)
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
    for theme in plan.themes.all():
        theme.progress = progress(Deliverable.bucket(d.status) for d in theme.deliverables.all())
        theme.subheaded = _group_by_subheading(theme.deliverables.all())
    plan.progress = progress(
        Deliverable.bucket(d.status) for theme in plan.themes.all() for d in theme.deliverables.all()
    )
    return plan


def _group_by_subheading(deliverables):
    groups, order = defaultdict(list), []
    for d in deliverables:
        if d.subheading not in groups:
            order.append(d.subheading)
        groups[d.subheading].append(d)
    return [(heading, groups[heading]) for heading in order]


def progress(buckets):
    """Counts and percentages of delivered / in progress / not started, from bucket names."""
    return progress_from_counts(Counter(buckets))


def progress_from_counts(counts):
    """The same, from a mapping of bucket name to count."""
    total = sum(counts.values())
    result = {"total": total}
    for bucket in ("delivered", "in_progress", "not_started"):
        result[bucket] = counts.get(bucket, 0)
        result[f"{bucket}_pct"] = round(100 * counts.get(bucket, 0) / total, 1) if total else 0
    return result


def deliverable_history(deliverable):
    """The user-facing updates and the PostgreSQL audit trail of one deliverable."""
    updates = list(StatusUpdate.objects.filter(deliverable=deliverable).select_related("created_by"))
    events = audit_events(deliverable)
    return link_events(updates, events), events


def self_assessment(*, organisation):
    """The latest self-assessment with each score's maturity level, and per authorisation
    domain the deliverables of the organisation's plans that serve it (four queries)."""
    assessment = (
        SelfAssessment.objects.filter(organisation=organisation)
        .prefetch_related(Prefetch("scores", queryset=SelfAssessmentScore.objects.select_related("domain")))
        .order_by("-assessed_on", "-pk")
        .first()
    )
    levels = list(MaturityLevel.objects.all())
    scores = {}
    if assessment:
        for score in assessment.scores.all():
            score.level = MaturityLevel.for_score(score.score_percent, levels)
            scores[score.domain_id] = score
    deliverables = (
        Deliverable.objects.current()
        .filter(theme__plan__organisation=organisation)
        .select_related("theme__plan")
        .prefetch_related("domains")
    )
    by_domain = defaultdict(list)
    for deliverable in deliverables:
        for domain in deliverable.domains.all():
            by_domain[domain.pk].append(deliverable)
    domains = list(AuthorisationDomain.objects.all())
    for domain in domains:
        domain.score = scores.get(domain.pk)
        domain.tagged = by_domain.get(domain.pk, [])
        domain.progress = progress(Deliverable.bucket(d.status) for d in domain.tagged)
        domain.overdue_count = sum(1 for d in domain.tagged if d.overdue)
    return assessment, levels, domains


def _flag(q):
    # True or False, never NULL (a comparison with an empty date is NULL in SQL).
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


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
            is_overdue=_flag(overdue_q(today)),
            is_due_soon=_flag(due_soon_q(today)),
            is_stale=_flag(stale_q(now)),
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
