"""Reads for the board report: the plan (one prefetch of themes, objectives and deliverables),
the areas delivered and for further delivery worked out from it, and the risk summary. A fixed
number of queries whatever the number of deliverables or risks."""

from typing import Any, cast

from django.db.models import Field
from django.utils import timezone

from apps.organisations.models import Organisation
from apps.plans import selectors as plan_selectors
from apps.plans.models import Deliverable
from apps.plans.selectors import PlanDetail
from apps.risks import selectors as risk_selectors
from apps.risks.models import Risk

from .models import COVER_FIELDS, BoardReport
from .services import latest_report


def cover_rows(report: BoardReport | None) -> list[tuple[Any, Any]]:
    """(label, value) for each row of the cover sheet, labelled as the papers label them."""
    report = report or BoardReport()
    return [
        (cast(Field, BoardReport._meta.get_field(name)).verbose_name, getattr(report, name))
        for name in COVER_FIELDS
        if name != "title"
    ]


def notable_areas(detail: PlanDetail) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Per theme, what is delivered and what is still to deliver (in progress, not started,
    overdue), from the deliverables already prefetched on the plan; and the plan's totals."""
    themes = []
    totals = {"delivered": 0, "further_work": 0, "open": 0, "overdue": 0, "total": 0}
    for row in detail.themes:
        theme = row.theme
        deliverables = list(theme.deliverables.all())
        delivered = [d for d in deliverables if d.is_delivered]
        still_open = [d for d in deliverables if not d.is_delivered]
        further_work = [d for d in delivered if d.status == Deliverable.Status.DELIVERED_FURTHER_WORK]
        overdue = [d for d in still_open if d.overdue]
        themes.append(
            {
                "theme": theme,
                "progress": row.progress,
                "delivered": delivered,
                "open": still_open,
                "further_work_count": len(further_work),
                "overdue_count": len(overdue),
            }
        )
        totals["delivered"] += len(delivered)
        totals["further_work"] += len(further_work)
        totals["open"] += len(still_open)
        totals["overdue"] += len(overdue)
        totals["total"] += len(deliverables)
    return themes, totals


def risk_summary(*, organisation: Organisation, user: Any) -> dict[str, Any]:
    """The organisation's open risks with ratings and bands (in words), and how many fall in
    each band, inherent and residual. Four queries."""
    scheme = risk_selectors.current_scheme()
    risks = risk_selectors.risk_list(user=user, scheme=scheme).filter(organisation=organisation)
    open_risks = risks.filter(status=Risk.Status.OPEN)
    return {
        "risks": list(open_risks),
        "band_rows": risk_selectors.band_counts(open_risks)["rows"],
        "closed_count": risks.filter(status=Risk.Status.CLOSED).count(),
        "scheme": scheme,
    }


def board_report(*, plan_id: int, user: Any) -> dict[str, Any]:
    """Everything the report page and its PDF show. Raises ODPlan.DoesNotExist for a plan the
    user may not see."""
    read_at = timezone.localtime(timezone.now())
    detail = plan_selectors.plan_detail(plan_id=plan_id, user=user)
    plan = detail.plan
    report = latest_report(plan)
    areas, totals = notable_areas(detail)
    return {
        "plan": plan,
        "progress": detail.progress,
        "themes": detail.themes,
        "report": report,
        "cover_rows": cover_rows(report),
        "areas": areas,
        "totals": totals,
        "risk_summary": risk_summary(organisation=plan.organisation, user=user),
        "read_at": read_at,
    }
