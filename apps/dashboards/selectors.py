"""Reads for the dashboards. Every figure is one aggregate query over the organisation and
everything beneath it, so the number of queries does not grow with the data."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from apps.assurance.filters import PrincipalRiskFilterSet
from apps.assurance.models import PrincipalRisk
from apps.core.freshness import cached, valid_until
from apps.core.history.as_at import records_began
from apps.organisations.filters import within as in_scope
from apps.organisations.models import MAX_DEPTH, Organisation, subtree
from apps.plans.models import (
    AuthorisationDomain,
    Deliverable,
    MaturityLevel,
    ODPlan,
    SelfAssessmentScore,
    StatusUpdate,
    Theme,
    due_soon_q,
    overdue_q,
    stale_changes_at,
)
from apps.plans.selectors import Progress, progress_from_counts
from apps.risks import selectors as risk_selectors
from apps.risks.models import Band, BandScheme, Risk

from .figures import Figure, FigureList

LIST_LENGTH = 10
RECENT_CHANGES = 5  # at the top of the dashboard: the rest are a click away


@dataclass(frozen=True)
class OrganisationProgress:
    """An organisation beneath a roll-up dashboard with the progress of the deliverables of its
    plans and of everything beneath it (``own``: the dashboard organisation's own plans)."""

    organisation: Organisation
    progress: Progress
    own: bool = False


@dataclass(frozen=True)
class ThemeProgress:
    """A theme with the progress of its deliverables."""

    theme: Theme
    progress: Progress


@dataclass(frozen=True)
class DomainFigure:
    """An authorisation domain on the dashboard: the organisation's latest score in it (if it
    made one), the maturity level that score falls in, and the figure of deliverables beneath
    that serve it."""

    domain: AuthorisationDomain
    score: SelfAssessmentScore | None
    level: MaturityLevel | None
    figure: Figure


def scope(organisation: Organisation) -> list[int]:
    """The pks of the organisation and everything beneath it (one query, or none while the
    organisations' tree has not changed)."""
    return subtree(organisation.pk)


# The figures of the dashboard, each as the parameters of the list it links to. "delivered"
# counts both delivered statuses; the headline shows them apart ("status_delivered": fully
# delivered, "status_delivered_further_work": delivered with further work in progress).
DELIVERABLE_FIGURES: dict[str, dict[str, Any]] = {
    "total": {},
    "delivered": {"bucket": "delivered"},
    "to_deliver": {"status": list(Deliverable.OPEN_STATUSES)},
    "overdue": {"overdue": "true"},
    "due_soon": {"due_soon": "true"},
    "stale": {"stale": "true"},
    "costed": {"has_cost": "true"},
    # Claimed delivered, with no evidence linked (apps/evidence).
    "delivered_without_evidence": {"bucket": "delivered", "has_evidence": "false"},
    **{f"status_{value}": {"status": value} for value in Deliverable.Status.values},
}
RISK_FIGURES: dict[str, dict[str, Any]] = {
    "open": {"status": Risk.Status.OPEN},
    # "Red risks", as the national dashboard and the issued papers count them.
    "red": {"status": Risk.Status.OPEN, "band": Band.EXTREME},
    **{f"band_{band}": {"band": band} for band in Band.values},
    **{f"residual_band_{band}": {"residual_band": band} for band in Band.values},
}


# The Board Assurance Framework's figures, as the parameters of the principal risks' list.
BAF_FIGURES: dict[str, dict[str, Any]] = {
    "principal": {},
    "outside_appetite": {"outside_appetite": "true"},
    "weak_assurance": {"weak_assurance": "true"},
}


def assurance_figures(
    organisation: Organisation, request: Any, orgs: list[int] | None = None
) -> dict[str, Figure]:
    """The principal risks within ``organisation``, those outside appetite and those with
    limited or no assurance, counted by their list's own filterset."""
    return FigureList(
        "assurance:principal_risk_list",
        PrincipalRiskFilterSet,
        PrincipalRisk.objects.current().with_appetite(),
        "risk__organisation",
        organisation,
        request,
        orgs,
    ).count(BAF_FIGURES)


# The evidence figures: the library's filter (apps/evidence/filters.py).
EVIDENCE_FIGURES: dict[str, dict[str, Any]] = {"expired": {"expired": "true"}}


def evidence_figures(
    organisation: Organisation, request: Any, orgs: list[int] | None = None
) -> dict[str, Figure]:
    """Evidence past its review date, of the organisation and beneath (live only: evidence has
    no as-at view), counted by the evidence library's own filterset."""
    from apps.evidence.filters import EvidenceFilterSet
    from apps.evidence.models import EvidenceItem

    return FigureList(
        "evidence:item_list",
        EvidenceFilterSet,
        EvidenceItem.objects.current(),
        "organisation",
        organisation,
        request,
        orgs,
    ).count(EVIDENCE_FIGURES)


def organisation_dashboard(organisation: Organisation, *, request: Any, as_at: Any = None) -> dict[str, Any]:
    """Everything the organisation dashboard shows, rolled up over what lies beneath; with
    ``as_at`` (``apps.core.history.as_at.AsAt``), from the data as it stood then. Live, it is cached
    until the data changes (``apps.core.freshness``): the figures are the organisation's, the
    same for whoever may see its dashboard."""
    if as_at is not None:
        return _organisation_dashboard(organisation, request=request, as_at=as_at)
    return cached(
        "organisation-dashboard",
        (organisation.pk,),
        lambda: _organisation_dashboard(organisation, request=request, as_at=None),
        scopes=(organisation.pk,),
    )


def _pct(part: int, total: int) -> float:
    return round(100 * part / total, 1) if total else 0


def changed_since_figures(paper: Any) -> dict[str, dict[str, Any]]:
    """The figures of "what changed since the last paper": deliverables whose status changed
    after ``paper``'s data was read, and those of them now delivered (none without a paper)."""
    if paper is None:
        return {}
    since = timezone.localtime(paper.read_at).isoformat()
    return {
        "changed": {"changed_after": since},
        "changed_delivered": {"changed_after": since, "bucket": "delivered"},
    }


def _organisation_dashboard(organisation: Organisation, *, request: Any, as_at: Any) -> dict[str, Any]:
    orgs = scope(organisation)
    papers = issued_papers(orgs, as_at=as_at)
    if as_at is not None:
        began = records_began(orgs)
        if began is None or as_at.moment < began:
            # Nothing was recorded yet: say so, rather than show zeros as if they were data.
            return {
                "organisation": organisation,
                "scope": orgs,
                "today": as_at.day,
                "as_at": as_at,
                "before_records": True,
                "records_began": began,
                **papers,
            }
    source = DataSource.of(as_at)
    today = source.today
    now = timezone.now()
    # Archived deliverables and risks are left out of every figure and list, as the lists
    # the figures link to leave them out (both start from ``current()``, see DataSource).
    deliverables = in_scope(source.deliverables, "theme__plan__organisation", organisation.pk, scope=orgs)
    scheme = BandScheme.current()
    risks = in_scope(source.risks, "organisation", organisation.pk, scope=orgs).with_ratings(scheme)
    domains = list(AuthorisationDomain.objects.all())

    deliverable_figures = FigureList(
        "plans:deliverable_list",
        source.deliverable_filterset,
        source.deliverables,
        "theme__plan__organisation",
        organisation,
        request,
        orgs,
    ).count(
        source.params(
            {
                **DELIVERABLE_FIGURES,
                **{f"domain_{d.number}": {"domain": d.pk} for d in domains},
                **changed_since_figures(papers["last_paper"]),
            }
        ),
    )
    risk_figures = FigureList(
        "risks:risk_list",
        source.risk_filterset,
        source.risks.with_ratings(scheme),
        "organisation",
        organisation,
        request,
        orgs,
    ).count(source.params(RISK_FIGURES))
    # The Board Assurance Framework's figures: live only (its as-at view is not built yet).
    baf_figures = assurance_figures(organisation, request, orgs) if as_at is None else None

    if as_at is None:
        # "Not updated for 60 days" moves with the clock: the figures hold until the next
        # deliverable in scope passes 60 days without an update, not for the whole day.
        valid_until(stale_changes_at(deliverables, now))
    status_counts = [
        {"status": value, "label": label, "figure": deliverable_figures[f"status_{value}"]}
        for value, label in Deliverable.Status.choices
    ]
    band_rows = [
        {
            "band": band,
            "label": band.label,
            "inherent": risk_figures[f"band_{band}"],
            "residual": risk_figures[f"residual_band_{band}"],
        }
        for band in Band
    ]
    total = deliverable_figures["total"].count
    delivered = deliverable_figures["delivered"].count
    plans = ODPlan.objects.filter(organisation__in=orgs)
    if as_at is not None:  # no link to a plan that was not recorded yet
        plans = plans.filter(created_at__lte=as_at.moment)
    plan_rows = list(plans.select_related("organisation"))
    rollup = (
        progress_beneath(organisation, deliverables, orgs)
        if len({plan.organisation_id for plan in plan_rows}) > 1
        else []
    )
    updates = latest_updates(source, deliverables, orgs, total)
    return {
        "organisation": organisation,
        "scope": orgs,
        "today": today,
        "figures": deliverable_figures,
        "risk_figures": risk_figures,
        "baf_figures": baf_figures,
        "evidence_figures": evidence_figures(organisation, request, orgs) if as_at is None else None,
        "delivered_pct": round(100 * delivered / total, 1) if total else 0,
        "fully_delivered_pct": _pct(
            deliverable_figures[f"status_{Deliverable.Status.DELIVERED}"].count, total
        ),
        "further_work_pct": _pct(
            deliverable_figures[f"status_{Deliverable.Status.DELIVERED_FURTHER_WORK}"].count, total
        ),
        # How many of the three off-track checks (overdue, not updated, red risks) are not zero.
        "attention_count": sum(
            1
            for f in (deliverable_figures["overdue"], deliverable_figures["stale"], risk_figures["red"])
            if f.count
        ),
        "status_counts": status_counts,
        "band_rows": band_rows,
        "budget": plans.aggregate(total=Sum("budget_amount"))["total"],
        "costs": deliverables.aggregate(total=Sum("cost_amount"))["total"],
        "plans": plan_rows,
        # One organisation's plans: progress per theme. Plans of several organisations beneath
        # (a LAT, a region, the NHS CB): progress per organisation directly beneath, each with
        # its own dashboard, so the table has a row per organisation, not one per theme in England.
        "themes": [] if rollup else theme_progress(deliverables),
        "rollup": rollup,
        "overdue": list(
            deliverables.filter(overdue_q(today))
            .select_related("theme__plan__organisation", "owner")
            .order_by("deadline", "pk")[:LIST_LENGTH]
        ),
        "due_soon": list(
            deliverables.filter(due_soon_q(today))
            .select_related("theme__plan__organisation", "owner")
            .order_by("deadline", "pk")[:LIST_LENGTH]
        ),
        "latest_updates": updates,
        # What changed since the last paper (the latest updates if none was issued): a few, the
        # figures "changed" and "changed_delivered" count them all.
        "recent_changes": [
            u for u in updates if papers["last_paper"] is None or u.created_at > papers["last_paper"].read_at
        ][:RECENT_CHANGES],
        "top_risks": list(
            risks.filter(status=Risk.Status.OPEN)
            .select_related("organisation")
            .order_by("-rating", "-residual_rating", "pk")[:5]
        ),
        "heatmap": risk_selectors.heatmap(risks, scheme),
        "scheme": scheme,
        "domains": domain_summary(organisation, domains, deliverable_figures),
        "delivered_per_month": delivered_per_month(
            orgs, source.status_updates if as_at is not None else None
        ),
        "as_at": as_at,
        "as_at_query": f"&as_at={source.as_at_param}" if source.as_at_param else "",
        "comparison": paper_comparison(papers["last_paper"], plan_rows, deliverable_figures, risk_figures),
        **papers,
    }


def paper_comparison(
    paper: Any, plans: list[ODPlan], figures: dict[str, Figure], risk_figures: dict[str, Figure]
) -> dict[str, dict[str, Any]] | None:
    """Each headline figure against the last paper issued here: {key: {"then", "difference",
    "words"}}, where the paper reported that figure. Only where the dashboard shows one plan and
    the paper is that plan's: a paper reports one plan, so for several plans the trend table
    over the papers stands instead (None)."""
    if paper is None or len(plans) != 1 or paper.plan_id != plans[0].pk:
        return None
    further = paper.further_work
    then = {
        "total": paper.deliverable_count,
        "to_deliver": paper.deliverable_count - paper.delivered_count,
        "overdue": paper.overdue_count,
        "red": paper.red_risk_count,
    }
    now = {
        "total": figures["total"].count,
        "to_deliver": figures["to_deliver"].count,
        "overdue": figures["overdue"].count,
        "red": risk_figures["red"].count,
    }
    if further is not None:  # every snapshot has it; the guard is for a paper without totals
        then.update(fully_delivered=paper.delivered_count - further, further_work=further)
        now.update(
            fully_delivered=figures[f"status_{Deliverable.Status.DELIVERED}"].count,
            further_work=figures[f"status_{Deliverable.Status.DELIVERED_FURTHER_WORK}"].count,
        )
    result = {}
    for key, before in then.items():
        difference = now[key] - before
        words = f"up {difference}" if difference > 0 else f"down {-difference}" if difference else "no change"
        result[key] = {"then": before, "difference": difference, "words": words}
    return result


# Up to this many deliverables in scope, the latest updates are found deliverable by deliverable.
FEW_DELIVERABLES = 2_000


def latest_updates(
    source: "DataSource", deliverables: QuerySet[Deliverable], orgs: list[int], total: int
) -> list[StatusUpdate]:
    """The latest status updates of the deliverables in scope (``total`` of them), newest first.
    One query, planned by how many deliverables there are. Within a few (a CCG, a LAT): each
    deliverable's own latest from the (deliverable, created_at) index, merged; walking every
    update in England newest first until ten of theirs turn up reads all 508,800 at national
    scale when they have few or none (Dorset's dashboard: 2.7 s). Across many (a region, the
    NHS CB): that walk, which finds ten at once."""
    updates = (
        cast(QuerySet[StatusUpdate], source.status_updates)
        .select_related("deliverable", "created_by")
        .order_by("-created_at", "-pk")
    )
    if source.as_at_param or total > FEW_DELIVERABLES:
        return list(
            in_scope(updates, "deliverable__theme__plan__organisation", None, scope=orgs)[:LIST_LENGTH]
        )
    within, params = deliverables.order_by().values("pk").query.sql_with_params()
    table = StatusUpdate._meta.db_table
    latest_each = RawSQL(
        f"SELECT latest.id FROM ({within}) scoped (id) CROSS JOIN LATERAL ("
        f"SELECT u.id, u.created_at FROM {table} u WHERE u.deliverable_id = scoped.id "
        f"ORDER BY u.created_at DESC, u.id DESC LIMIT %s) latest "
        f"ORDER BY latest.created_at DESC, latest.id DESC LIMIT %s",
        (*params, LIST_LENGTH, LIST_LENGTH),
    )
    return list(updates.filter(pk__in=latest_each)[:LIST_LENGTH])


def progress_beneath(
    organisation: Organisation, deliverables: QuerySet[Deliverable], orgs: list[int]
) -> list[OrganisationProgress]:
    """Delivered / in progress / not started per organisation directly beneath ``organisation``
    (everything beneath each one added up), and the organisation's own plans in a row of their
    own, by name. Two queries: the counts per planning organisation, and the organisations of
    the scope ``orgs`` (to walk each up to the row it is counted in)."""
    rows = deliverables.order_by().values("theme__plan__organisation_id", "status").annotate(n=Count("pk"))
    counts: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row["theme__plan__organisation_id"]][Deliverable.bucket(row["status"])] += row["n"]
    by_pk = {
        o.pk: o
        for o in Organisation.objects.filter(pk__in=orgs).only("pk", "parent_id", "name", "slug", "kind")
    }
    totals: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for pk, bucket_counts in counts.items():
        node = pk
        for _ in range(MAX_DEPTH):
            parent = by_pk[node].parent_id if node in by_pk else None
            if node == organisation.pk or parent == organisation.pk or parent is None:
                break
            node = parent
        totals[node].update(bucket_counts)
    shown = sorted(
        (by_pk[pk] for pk in totals if pk in by_pk), key=lambda o: (o.pk != organisation.pk, o.name)
    )
    return [
        OrganisationProgress(o, progress_from_counts(totals[o.pk]), own=o.pk == organisation.pk)
        for o in shown
    ]


def theme_progress(deliverables: QuerySet[Deliverable]) -> list[ThemeProgress]:
    """Delivered / in progress / not started per theme (one grouped query)."""
    rows = deliverables.order_by().values("theme_id", "status").annotate(n=Count("pk"))
    counts: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row["theme_id"]][Deliverable.bucket(row["status"])] += row["n"]
    themes = Theme.objects.filter(pk__in=counts).select_related("plan__organisation")
    return [ThemeProgress(t, progress_from_counts(counts[t.pk])) for t in themes.order_by("plan", "number")]


def domain_summary(
    organisation: Organisation, domains: list[AuthorisationDomain], figures: dict[str, Figure]
) -> dict[str, Any]:
    """Per authorisation domain (``domains``: DomainFigure rows): the latest self-assessment
    score of the organisation (if it made one), its maturity level, and the figure of
    deliverables beneath that serve it; the maturity ``levels``; whether it ``assessed`` itself."""
    levels = list(MaturityLevel.objects.all())
    latest = (
        SelfAssessmentScore.objects.filter(assessment__organisation=organisation)
        .select_related("assessment")
        .order_by("domain_id", "-assessment__assessed_on", "-assessment_id")
        .distinct("domain_id")
    )
    scores = {score.domain_id: score for score in latest}
    rows = []
    for domain in domains:
        score = scores.get(domain.pk)
        rows.append(
            DomainFigure(
                domain=domain,
                score=score,
                level=MaturityLevel.for_score(score.score_percent, levels) if score else None,
                figure=figures[f"domain_{domain.number}"],
            )
        )
    return {"domains": rows, "levels": levels, "assessed": bool(scores)}


def delivered_per_month(orgs: list[int], updates: Any = None) -> list[dict[str, Any]]:
    """From the status history (``updates``; live, the current updates): deliverables moved to
    delivered, per month."""
    if updates is None:
        everything = getattr(orgs, "everything", False)
        updates = StatusUpdate.objects.current_unjoined() if everything else StatusUpdate.objects.current()
    deliveries = updates.deliveries()
    rows = (
        in_scope(deliveries, "deliverable__theme__plan__organisation", None, scope=orgs)
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values("month")
        .annotate(n=Count("deliverable_id", distinct=True))
        .order_by("month")
    )
    return [
        {"month": row["month"].date() if hasattr(row["month"], "date") else row["month"], "count": row["n"]}
        for row in rows
    ]


# --- As at a date: where the dashboard's records come from -------------------------------------


@dataclass(frozen=True)
class DataSource:
    """The records the dashboard counts: live, or as they stood at a date
    (``apps.core.history.as_at``), with the filtersets that count them and the day that overdue and
    due soon are judged on. Figures link to their list with the same ``as_at``."""

    deliverables: object
    risks: object
    status_updates: object
    deliverable_filterset: type
    risk_filterset: type
    today: object
    as_at_param: str = ""

    @classmethod
    def of(cls, as_at=None):
        from apps.plans.filters import DeliverableAsAtFilterSet, DeliverableFilterSet
        from apps.plans.selectors import standing_deliverables, status_updates_as_at
        from apps.risks.filters import RiskAsAtFilterSet, RiskFilterSet
        from apps.risks.selectors import standing_risks

        if as_at is None:
            return cls(
                Deliverable.objects.current(),
                Risk.objects.current(),
                StatusUpdate.objects.current(),
                DeliverableFilterSet,
                RiskFilterSet,
                timezone.localdate(),
            )
        # As the live dashboard leaves archived records out, so does it as at a day: those
        # archived by then (their events up to the day say so), with their status history.
        deliverables = standing_deliverables(as_at).current()
        return cls(
            deliverables,
            standing_risks(as_at).current(),
            status_updates_as_at(as_at, deliverables),
            DeliverableAsAtFilterSet,
            RiskAsAtFilterSet,
            as_at.day,
            as_at.param,
        )

    def params(self, figures):
        """The figures' list parameters, with the as_at date when there is one."""
        if not self.as_at_param:
            return figures
        return {key: {**params, "as_at": self.as_at_param} for key, params in figures.items()}


# --- Issued papers: the list and the trend ---------------------------------------------------


def issued_papers(orgs: list[int], *, as_at: Any = None) -> dict[str, Any]:
    """The board papers issued from the plans of the organisation and everything beneath,
    latest first; the trend over the papers that stand (not superseded), oldest first: per
    paper, % delivered, fully delivered, delivered with further work, overdue and red risks as
    the paper reported them; and the ``last_paper``: the latest that stood at the end of the
    as-at day (now, without one), which "what changed since the last paper" counts from. One
    query."""
    from apps.reports.selectors import organisation_papers

    papers = organisation_papers(orgs)
    standing = [p for p in reversed(papers) if getattr(p, "superseded_by", None) is None]
    several_plans = len({p.plan_id for p in papers}) > 1
    trend = [
        {
            "paper": p,
            "label": (f"{p.plan.organisation.name} " if several_plans else "") + f"{p.meeting_date:%d/%m/%Y}",
            "delivered_pct": p.delivered_pct,
            "fully_delivered": p.delivered_count - p.further_work if p.further_work is not None else None,
            "further_work": p.further_work,
            "overdue": p.overdue_count,
            "red_risks": p.red_risk_count,
            "red_residual_risks": p.red_residual_risk_count,
        }
        for p in standing
    ]
    return {
        "issued_papers": papers,
        "paper_trend": trend,
        "several_paper_plans": several_plans,
        "last_paper": last_paper(papers, as_at),
    }


def last_paper(papers: list[Any], as_at: Any = None) -> Any:
    """Of ``papers`` (latest first), the latest issued that stood at ``as_at``'s moment (now,
    without one): issued by then and not superseded by a correction issued by then."""
    moment = as_at.moment if as_at is not None else None
    for paper in sorted(papers, key=lambda p: (p.issued_at, p.pk), reverse=True):
        correction = getattr(paper, "superseded_by", None)
        if moment is None:
            if correction is None:
                return paper
        elif paper.issued_at <= moment and (correction is None or correction.issued_at > moment):
            return paper
    return None


def ccg_summary(*, visible: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """CCGs with OD plans among ``visible``: % delivered, overdue count, red (extreme) risks.
    Correlated subqueries, so no join multiplies the rows; sortable on every figure."""
    today = timezone.localdate()
    scheme = BandScheme.current()
    deliverables = (
        Deliverable.objects.current()
        .filter(theme__plan__organisation=OuterRef("pk"))
        .order_by()
        .values("theme__plan__organisation")
    )

    def count(qs: QuerySet[Any, Any]) -> Coalesce:
        return Coalesce(
            Subquery(qs.annotate(c=Count("pk")).values("c")[:1], output_field=IntegerField()), Value(0)
        )

    low, _ = scheme.rating_range(Band.EXTREME)
    open_risks = (
        Risk.objects.current()
        .filter(organisation=OuterRef("pk"), status=Risk.Status.OPEN)
        .annotate(r=F("severity") * F("likelihood"), rr=F("residual_severity") * F("residual_likelihood"))
        .order_by()
        .values("organisation")
    )
    return (
        # "has a plan" as a subquery, not a join: no DISTINCT, so the page's count is a count of
        # CCGs, not of the figures of every CCG in England (national dashboard: 157 ms).
        Organisation.objects.filter(
            kind=Organisation.Kind.CCG, pk__in=visible, id__in=ODPlan.objects.values("organisation_id")
        )
        .select_related("parent__parent")
        .annotate(
            deliverable_total=count(deliverables),
            delivered=count(deliverables.filter(status__in=Deliverable.DELIVERED_STATUSES)),
            overdue=count(deliverables.filter(overdue_q(today))),
            red_risks=count(open_risks.filter(r__gte=low)),
            red_residual_risks=count(open_risks.filter(rr__gte=low)),
        )
        .annotate(
            percent_delivered=Case(
                When(deliverable_total=0, then=Value(0.0)),
                default=ExpressionWrapper(
                    F("delivered") * 100.0 / F("deliverable_total"), output_field=FloatField()
                ),
            )
        )
    )


def region_summary() -> list[Organisation]:
    """Each region with its LATs' figures summed (computed from the rows; cached until the data
    changes)."""
    return cached("region-summary", (), _region_summary, scopes=())  # the organisations' own rows


def _region_summary() -> list[Organisation]:
    return list(
        Organisation.objects.of_kind(Organisation.Kind.REGION)
        .annotate(
            lat_count=Count("children", filter=Q(children__kind=Organisation.Kind.LAT)),
            lat_population=Sum(
                "children__population_thousands", filter=Q(children__kind=Organisation.Kind.LAT)
            ),
            lat_ccgs=Sum("children__ccg_count", filter=Q(children__kind=Organisation.Kind.LAT)),
            lat_hwbs=Sum("children__hwb_count", filter=Q(children__kind=Organisation.Kind.LAT)),
        )
        .order_by("position")
    )
