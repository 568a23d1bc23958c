"""Reads of the Board Assurance Framework: each selector owns its joins, so a page takes a fixed
number of queries whatever the number of risks, controls, assurances and gaps."""

from typing import Any

from django.apps import apps as django_apps
from django.db.models import Prefetch, QuerySet

from apps.evidence.selectors import current_links_with_files
from apps.organisations import permissions
from apps.plans.models import Deliverable, Objective, Theme
from apps.risks.models import Risk

from .models import (
    Assurance,
    Committee,
    Control,
    Gap,
    PrincipalRisk,
    PrincipalRiskQuerySet,
    RiskAppetite,
    StrategicObjective,
)


def principal_risk_list(*, user: Any) -> PrincipalRiskQuerySet:
    """Every principal risk the user may see, with its ratings, tolerance and outside appetite."""
    return (
        PrincipalRisk.objects.visible_to(user)
        .with_appetite()
        .select_related("risk__organisation", "committee")
    )


def visible_objectives(*, user: Any) -> QuerySet[StrategicObjective]:
    """The strategic objectives of the organisations whose framework the user may see."""
    return StrategicObjective.objects.filter(permissions.visible_q(user, "organisation"))


def visible_committees(*, user: Any) -> QuerySet[Committee]:
    """The committees the user may see (their pages' own rule)."""
    return Committee.objects.filter(permissions.visible_q(user, "organisation"))


def visible_appetites(*, user: Any) -> QuerySet[RiskAppetite]:
    """The risk appetites of the organisations whose framework the user may see."""
    return RiskAppetite.objects.filter(permissions.visible_q(user, "organisation"))


def visible_controls(*, user: Any) -> QuerySet[Control]:
    """The controls of the principal risks the user may see (``PrincipalRisk.visible_to``)."""
    return Control.objects.filter(principal_risk__in=PrincipalRisk.objects.visible_to(user))


def visible_assurances(*, user: Any) -> QuerySet[Assurance]:
    """The assurances of the controls of the principal risks the user may see."""
    return Assurance.objects.filter(control__principal_risk__in=PrincipalRisk.objects.visible_to(user))


def visible_gaps(*, user: Any) -> QuerySet[Gap]:
    """The gaps of the principal risks the user may see."""
    return Gap.objects.filter(principal_risk__in=PrincipalRisk.objects.visible_to(user))


def with_framework(queryset: QuerySet[PrincipalRisk]) -> QuerySet[PrincipalRisk]:
    """``queryset`` with what the framework shows of each risk prefetched: its objectives, its
    controls and their assurances (with the committee), the evidence of each control and
    assurance (``evidence``: current links with their item and latest file), its gaps and their
    actions (seven queries, whatever the number of rows)."""
    deliverables = Deliverable.objects.current().select_related("theme").order_by("deadline", "pk")

    def evidence():
        return Prefetch("evidence_links", queryset=current_links_with_files(), to_attr="evidence")

    return queryset.prefetch_related(
        Prefetch(
            "objectives",
            queryset=StrategicObjective.objects.select_related("plan_objective", "plan_theme").order_by(
                "position", "pk"
            ),
        ),
        Prefetch(
            "controls",
            queryset=Control.objects.order_by("pk").prefetch_related(
                Prefetch(
                    "assurances",
                    queryset=Assurance.objects.select_related("committee").prefetch_related(evidence()),
                ),
                evidence(),
            ),
        ),
        Prefetch(
            "gaps", queryset=Gap.objects.prefetch_related(Prefetch("deliverables", queryset=deliverables))
        ),
    )


def objectives_of(organisation) -> list[StrategicObjective]:
    return list(
        StrategicObjective.objects.filter(organisation=organisation)
        .select_related("plan_objective__theme", "plan_theme")
        .order_by("position", "pk")
    )


def appetites_of(organisation) -> list[RiskAppetite]:
    return list(RiskAppetite.objects.filter(organisation=organisation).order_by("category"))


def committees_of(organisation) -> QuerySet[Committee]:
    return Committee.objects.filter(organisation=organisation).order_by("name")


def last_paper_ratings(organisation) -> tuple[Any, dict[int, int]]:
    """The latest issued paper of the organisation's plans that stands, and each risk's current
    (residual) rating as that paper printed it ({risk id: rating}); (None, {}) if none was
    issued. One query. The papers are the reports app's, read by name: the reports app builds
    its paper's BAF section from this app, so this app does not import it."""
    paper_model = django_apps.get_model("reports", "IssuedPaper")
    paper = (
        paper_model.objects.filter(plan__organisation=organisation, superseded_by__isnull=True)
        .order_by("-read_at", "-pk")
        .only("pk", "number", "read_at", "meeting_date", "title", "plan_id", "snapshot")
        .first()
    )
    if paper is None:
        return None, {}
    return paper, {r["id"]: r["residual_rating"] for r in paper.snapshot.get("risks", [])}


def trend(current: int, before: int | None) -> str:
    """How a current rating moved since the last paper: up, down, same, or new."""
    if before is None:
        return "new"
    if current > before:
        return "up"
    return "down" if current < before else "same"


TREND_WORDS = {
    "up": "Up since the last paper",
    "down": "Down since the last paper",
    "same": "No change since the last paper",
    "new": "Not in the last paper",
}


def framework(organisation, risks: list[PrincipalRisk], *, previous: dict[int, int]) -> list[dict[str, Any]]:
    """The framework as a board reads it: each objective with the principal risks (of ``risks``,
    prefetched by ``with_framework``) that threaten it, each with its trend since the last
    paper. A risk under two objectives appears under both."""
    for row in risks:
        annotated: Any = row  # with_appetite's annotations
        annotated.trend = trend(annotated.current_rating, previous.get(row.risk_id))
        annotated.trend_words = TREND_WORDS[annotated.trend]
    groups: list[dict[str, Any]] = []
    shown: set[int] = set()
    for objective in objectives_of(organisation):
        under = [r for r in risks if any(o.pk == objective.pk for o in r.objectives.all())]
        # Shown again under a later objective: its anchors there take the objective's key, so
        # that every element id on the page is one element's (the first stays the link target).
        groups.append({"objective": objective, "risks": under, "repeats": {r.pk for r in under} & shown})
        shown |= {r.pk for r in under}
    return groups


def plan_objectives(organisation) -> QuerySet[Objective]:
    """The objectives of the organisation's plans, offered to the framework."""
    return Objective.objects.filter(theme__plan__organisation=organisation).select_related("theme__plan")


def plan_themes(organisation) -> QuerySet[Theme]:
    """The priority areas or themes of the organisation's plans, offered to the framework."""
    return Theme.objects.filter(plan__organisation=organisation).select_related("plan")


def risks_to_add(organisation) -> Any:
    """The organisation's current risks that are not principal risks yet."""
    return Risk.objects.current().filter(organisation=organisation, principal__isnull=True)


def committee_detail(
    *, user: Any, committee_id: int
) -> tuple[Committee, list[PrincipalRisk], list[Assurance]]:
    """A committee the user may see, the principal risks it monitors and the assurances it
    received (latest first). Three queries."""
    committee = visible_committees(user=user).select_related("organisation").get(pk=committee_id)
    monitored = list(
        PrincipalRisk.objects.current().filter(committee=committee).with_appetite().select_related("risk")
    )
    received = list(
        Assurance.objects.filter(committee=committee, control__principal_risk__risk__archived_at__isnull=True)
        .select_related("control__principal_risk__risk")
        .order_by("-received_on", "-pk")
    )
    return committee, monitored, received
