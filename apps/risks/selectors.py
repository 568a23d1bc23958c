"""Reads of the risk register: each selector owns its joins and its computed ratings."""

import datetime
from functools import partial
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from apps.core.freshness import cached, query_key
from apps.core.history.as_at import AsAt, standing
from apps.core.history.audit import AuditEvent, HistoryEntry, audit_events, link_events
from apps.core.models import flag
from apps.organisations import permissions
from apps.organisations.models import Organisation
from apps.plans.models import SOON_DAYS, STALE_DAYS

from .models import (
    LIKELIHOOD_DESCRIPTORS,
    SCORES,
    SEVERITY_DESCRIPTORS,
    Band,
    BandScheme,
    Risk,
    RiskAsAt,
    RiskAsAtQuerySet,
    RiskQuerySet,
    RiskReview,
    rating_of,
    review_overdue_q,
)


def risk_list(*, user: Any, scheme: BandScheme | None = None) -> RiskQuerySet:
    """Every risk the user may see, with ratings, bands and outside appetite annotated (no query
    per row)."""
    return (
        Risk.objects.visible_to(user)
        .with_ratings(scheme)
        .with_review_overdue()
        .with_outside_appetite()
        .select_related("organisation", "owner", "plan")
        .prefetch_related("domains")
    )


def heatmap(queryset: QuerySet[Risk], scheme: BandScheme) -> dict[str, dict[str, Any]]:
    """The 5x5 grids (severity up, likelihood across) of inherent and residual risk over
    ``queryset``: a count per cell, each cell's rating and band. Two queries, their counts
    cached until the data changes (apps/core/freshness.py)."""
    grids: dict[str, dict[str, Any]] = {}
    for kind, s_field, l_field in (
        ("inherent", "severity", "likelihood"),
        ("residual", "residual_severity", "residual_likelihood"),
    ):
        per_cell = queryset.order_by().values(s_field, l_field).annotate(n=Count("pk"))
        counts = cached("heatmap", query_key(per_cell), partial(_cell_counts, per_cell, s_field, l_field))
        rows = []
        for severity in reversed(SCORES):
            cells = []
            for likelihood in SCORES:
                rating = rating_of(severity, likelihood)
                band = scheme.band_for(rating)
                cells.append(
                    {
                        "severity": severity,
                        "likelihood": likelihood,
                        "likelihood_descriptor": LIKELIHOOD_DESCRIPTORS[likelihood],
                        "rating": rating,
                        "band": band,
                        "band_label": Band(band).label,
                        "count": counts.get((severity, likelihood), 0),
                        "params": {s_field: severity, l_field: likelihood},
                    }
                )
            rows.append({"severity": severity, "descriptor": SEVERITY_DESCRIPTORS[severity], "cells": cells})
        grids[kind] = {"rows": rows, "total": sum(counts.values()), "s_field": s_field, "l_field": l_field}
    return grids


def _cell_counts(per_cell: Any, s_field: str, l_field: str) -> dict[tuple[int, int], int]:
    return {(row[s_field], row[l_field]): row["n"] for row in per_cell}


def band_counts(queryset: QuerySet[Risk]) -> dict[str, list[dict[str, Any]]]:
    """How many risks fall in each band, inherent and residual (uses the annotated bands)."""
    result: dict[str, list[dict[str, Any]]] = {}
    for kind, field in (("inherent", "band"), ("residual", "residual_band")):
        counts = {row[field]: row["n"] for row in queryset.order_by().values(field).annotate(n=Count("pk"))}
        result[kind] = [{"band": band, "label": band.label, "count": counts.get(band, 0)} for band in Band]
    result["rows"] = [
        {"band": i["band"], "label": i["label"], "inherent": i["count"], "residual": r["count"]}
        for i, r in zip(result["inherent"], result["residual"], strict=True)
    ]
    return result


def risk_detail(*, user: Any, risk_id: int, scheme: BandScheme | None = None) -> Risk:
    return risk_list(user=user, scheme=scheme).get(pk=risk_id)


def risk_history(risk: Risk) -> tuple[list[HistoryEntry[RiskReview]], list[AuditEvent]]:
    reviews = list(RiskReview.objects.filter(risk=risk).select_related("reviewed_by"))
    events = audit_events(risk)
    return link_events(reviews, events), events


def current_scheme() -> BandScheme:
    return BandScheme.current()


def review_due_soon_q(today=None):
    """An open risk whose next review is due today or within SOON_DAYS days."""
    today = today or timezone.localdate()
    return Q(
        status=Risk.Status.OPEN,
        next_review_on__gte=today,
        next_review_on__lte=today + datetime.timedelta(days=SOON_DAYS),
    )


def review_stale_q(now=None):
    """An open risk not reviewed or changed for STALE_DAYS days."""
    now = now or timezone.now()
    return Q(status=Risk.Status.OPEN, updated_at__lt=now - datetime.timedelta(days=STALE_DAYS))


def owned_by(user, *, today=None, now=None, scheme=None):
    """The open risks ``user`` owns, in the organisations they may still see, review overdue
    first, then review due soon, then the rest (each by next review date, then reference).

    Each row carries ``is_overdue`` (next review date passed: ``review_overdue_q``),
    ``is_due_soon`` (next review within SOON_DAYS days) and ``is_stale`` (not changed for
    STALE_DAYS days), with the ratings and bands of ``risk_list``. One query (and the band
    scheme's, unless ``scheme`` is given); "My work" and the owners' reminders both read it."""
    return (
        Risk.objects.visible_to(user)
        .filter(owner=user, status=Risk.Status.OPEN)
        .with_ratings(scheme)
        .select_related("organisation", "owner")
        .annotate(
            is_overdue=flag(review_overdue_q(today)),
            is_due_soon=flag(review_due_soon_q(today)),
            is_stale=flag(review_stale_q(now)),
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
            "urgency", F("next_review_on").asc(nulls_last=True), "organisation__name", "reference", "pk"
        )
    )


# How many organisations the register offers "Add a risk to ..." buttons for, at most.
ADD_TARGETS_MAX = 4


def add_targets(*, user: Any, chosen: int | None = None) -> list[Organisation]:
    """The organisations the register offers to add a risk to: the one the list is filtered to,
    if the user may edit it; else those where the user is staff or an organisation
    administrator; for an administrator without such a membership, the organisations with an OD
    plan. None when there are more than ADD_TARGETS_MAX (the organisation's page offers it)."""
    editable = permissions.editable_organisations(user)
    if chosen is not None:
        found = list(editable.filter(pk=chosen))
        if found:
            return found
    targets = list(permissions.home_organisations(user)[: ADD_TARGETS_MAX + 1])
    if not targets and permissions.is_admin(user):
        targets = list(
            editable.filter(plans__isnull=False).distinct().order_by("name")[: ADD_TARGETS_MAX + 1]
        )
    return targets if len(targets) <= ADD_TARGETS_MAX else []


def archived(*, user: Any, visible: bool = False) -> RiskQuerySet:
    """The archived risks of the organisations the user may edit (and so restore), newest
    archived first; ``visible``: of those the user may see."""
    organisations = (permissions.visible_organisations if visible else permissions.editable_organisations)(
        user
    )
    return (
        Risk.objects.filter(archived_at__isnull=False, organisation__in=organisations)
        .select_related("organisation")
        .order_by("-archived_at", "-pk")
    )


# --- As at a date (apps.core.history.as_at): the risks as they stood -----------------------------


def standing_risks(as_at: AsAt) -> RiskAsAtQuerySet:
    """Every risk as it stood at ``as_at`` (a queryset of ``RiskAsAt``), archived ones too:
    ``current()`` leaves out those archived by then."""
    return standing(RiskAsAt, as_at)


def risks_as_at(as_at: AsAt, *, user, scheme=None) -> RiskAsAtQuerySet:
    """The risks ``user`` may see, as they stood, with ratings and bands (today's band edges)
    and review-overdue judged on the as-at day."""
    return (
        standing_risks(as_at)
        .visible_to(user)
        .with_ratings(scheme)
        .with_review_overdue(as_at.day)
        .select_related("organisation", "owner", "plan")
    )
