"""The Board Assurance Framework as a board paper keeps it: ``snapshot`` reads the framework of an
organisation into plain data (the issued paper freezes it with the rest of its snapshot), and
``compare`` works out what changed between two papers' frameworks: scores moved, assurances
added or downgraded, gaps opened or closed. The reports app builds its papers with these."""

import datetime
from typing import Any

from apps.evidence.selectors import paper_evidence

from .models import LEVEL_RANK, PrincipalRisk
from .selectors import with_framework

# What "scores moved" compares, and how the paper names each.
MOVED = (("current", "current rating"), ("target", "target rating"), ("tolerance", "tolerance"))


def _iso(value):
    return value.isoformat() if value else None


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def snapshot(organisation_id: int, *, committee_id: int | None = None) -> list[dict[str, Any]]:
    """The organisation's principal risks (``committee_id``: those the committee monitors) with
    everything the framework shows of them, and the evidence each assurance rests on (title,
    date, fingerprint) as it stands now: frozen with the paper when it is issued (nine queries,
    whatever their number)."""
    principals = PrincipalRisk.objects.current().filter(risk__organisation_id=organisation_id)
    if committee_id is not None:
        principals = principals.filter(committee_id=committee_id)
    principals = with_framework(
        principals.with_appetite().select_related("risk", "committee").order_by("risk__reference", "pk")
    )
    return [_principal(p) for p in principals]


def _principal(p) -> dict[str, Any]:
    return {
        "id": p.pk,
        "risk_id": p.risk_id,
        "reference": p.risk.reference,
        "description": p.risk.description,
        "objectives": [o.wording for o in p.objectives.all()],
        "category": p.get_category_display(),
        "inherent": p.inherent_rating,
        "current": p.current_rating,
        "target": p.target_rating,
        "target_date": _iso(p.target_date),
        "tolerance": p.tolerance_used,
        "outside_appetite": p.outside_appetite,
        "committee": p.committee.name if p.committee else "",
        "controls": [
            {
                "id": c.pk,
                "description": c.description,
                "owner": c.owner,
                "effectiveness": c.get_effectiveness_display(),
                "assurances": [
                    {
                        "id": a.pk,
                        "description": a.description,
                        "line": a.get_line_display(),
                        "level": a.level,
                        "level_label": a.get_level_display(),
                        "received_on": _iso(a.received_on),
                        "committee": a.committee.name if a.committee else "",
                        "evidence": sorted(
                            (paper_evidence(link) for link in a.evidence), key=lambda e: (e["title"], e["id"])
                        ),
                    }
                    for a in c.assurances.all()
                ],
            }
            for c in p.controls.all()
        ],
        "gaps": [
            {
                "id": g.pk,
                "kind": g.get_kind_display(),
                "description": g.description,
                "closed_on": _iso(g.closed_on),
                "actions": [
                    {
                        "id": d.pk,
                        "title": d.title,
                        "status": d.get_status_display(),
                        "deadline": _iso(d.deadline),
                        "deadline_text": d.deadline_text,
                    }
                    for d in g.deliverables.all()
                ],
            }
            for g in p.gaps.all()
        ],
    }


def _assurances(framework):
    return {
        a["id"]: {**a, "risk": p["reference"], "control": c["description"]}
        for p in framework
        for c in p["controls"]
        for a in c["assurances"]
    }


def _gaps(framework):
    return {g["id"]: {**g, "risk": p["reference"]} for p in framework for g in p["gaps"]}


def compare(before: list[dict] | None, after: list[dict] | None) -> dict[str, Any] | None:
    """What changed in the framework from one paper to the next; None where either paper has no
    framework (one issued before the framework was part of the paper)."""
    if before is None or after is None:
        return None
    b_risks = {p["id"]: p for p in before}
    scores = []
    for p in after:
        old = b_risks.get(p["id"])
        if old is None:
            scores.append({"reference": p["reference"], "description": p["description"], "new": True})
            continue
        moved = [
            {"label": label, "from": old[name], "to": p[name]}
            for name, label in MOVED
            if old[name] != p[name]
        ]
        if moved or old["outside_appetite"] != p["outside_appetite"]:
            scores.append(
                {
                    "reference": p["reference"],
                    "description": p["description"],
                    "new": False,
                    "moved": moved,
                    "outside_appetite": p["outside_appetite"],
                    "appetite_changed": old["outside_appetite"] != p["outside_appetite"],
                }
            )
    b_assurances, a_assurances = _assurances(before), _assurances(after)
    added = [a for pk, a in a_assurances.items() if pk not in b_assurances]
    downgraded = [
        {**a, "from_label": b_assurances[pk]["level_label"]}
        for pk, a in a_assurances.items()
        if pk in b_assurances and LEVEL_RANK[a["level"]] > LEVEL_RANK[b_assurances[pk]["level"]]
    ]
    b_gaps, a_gaps = _gaps(before), _gaps(after)
    opened = [g for pk, g in a_gaps.items() if pk not in b_gaps and not g["closed_on"]]
    closed = [
        g for pk, g in a_gaps.items() if g["closed_on"] and (pk not in b_gaps or not b_gaps[pk]["closed_on"])
    ]
    changes: dict[str, Any] = {
        "scores": scores,
        "assurances_added": added,
        "assurances_downgraded": downgraded,
        "gaps_opened": opened,
        "gaps_closed": closed,
    }
    changes["count"] = sum(len(v) for v in list(changes.values()))
    return changes


def _assurance_context(a: dict[str, Any]) -> dict[str, Any]:
    """An assurance of a snapshot for the template: its dates as dates, and its evidence
    (``evidence_kept`` False for papers issued before the framework kept evidence, and for the
    framework as at a date, which says nothing of it)."""
    return {
        **a,
        "received_on": _date(a["received_on"]),
        "evidence": [{**e, "speaks_for": _date(e["speaks_for"])} for e in a.get("evidence", [])],
        "evidence_kept": "evidence" in a,
    }


def context(framework: list[dict] | None) -> list[dict] | None:
    """A snapshot's framework with its dates as dates, for the paper's template."""
    if framework is None:
        return None
    return [
        {
            **p,
            "target_date": _date(p["target_date"]),
            "controls": [
                {**c, "assurances": [_assurance_context(a) for a in c["assurances"]]} for c in p["controls"]
            ],
            "gaps": [
                {
                    **g,
                    "closed_on": _date(g["closed_on"]),
                    "actions": [{**d, "deadline": _date(d["deadline"])} for d in g["actions"]],
                }
                for g in p["gaps"]
            ],
        }
        for p in framework
    ]


# --- A committee's paper (models.CommitteePaper) ----------------------------------------------


def received_by(committee_id: int) -> list[dict[str, Any]]:
    """The assurances ``committee_id`` has received (of current principal risks), latest first,
    as its paper keeps them (one query)."""
    from .models import Assurance

    assurances = (
        Assurance.objects.filter(
            committee_id=committee_id, control__principal_risk__risk__archived_at__isnull=True
        )
        .select_related("control__principal_risk__risk")
        .order_by("-received_on", "-pk")
    )
    return [
        {
            "id": a.pk,
            "description": a.description,
            "line": a.get_line_display(),
            "level": a.level,
            "level_label": a.get_level_display(),
            "received_on": _iso(a.received_on),
            "risk": a.control.principal_risk.risk.reference,
            "risk_description": a.control.principal_risk.risk.description,
            "control": a.control.description,
        }
        for a in assurances
    ]


def committee_context(data: dict[str, Any]) -> dict[str, Any]:
    """A committee paper's snapshot with its dates as dates, for its template."""
    issue = data.get("issue") or {}
    since = data.get("since")
    return {
        **data,
        "organisation": {"name": data["committee"]["organisation"]},
        "read_at": datetime.datetime.fromisoformat(data["read_at"]),
        "framework": context(data["framework"]),
        "received": [{**a, "received_on": _date(a["received_on"])} for a in data["received"]],
        "since": {**since, "meeting_date": _date(since["meeting_date"])} if since else None,
        "issue": {
            **issue,
            "meeting_date": _date(issue.get("meeting_date")),
            "supersedes": {**issue["supersedes"], "meeting_date": _date(issue["supersedes"]["meeting_date"])}
            if issue.get("supersedes")
            else None,
        },
    }


def paper_ref(paper) -> dict[str, Any]:
    """Which committee paper a comparison starts from, or a correction supersedes."""
    return {
        "id": paper.pk,
        "number": paper.number,
        "title": paper.title,
        "meeting_date": _iso(paper.meeting_date),
        "read_at": paper.read_at.isoformat(),
    }


# --- The framework as it stood at a date -------------------------------------------------------


def _standing(model, moment, **filters):
    """The records of ``model`` as they stood at ``moment`` (its audit trail's latest event of
    each up to then, unless that is its deletion), narrowed by ``filters``: one query."""
    events = (
        model.pgh_event_model.objects.filter(pgh_created_at__lte=moment, **filters)
        .order_by("pgh_obj_id", "-pgh_id")
        .distinct("pgh_obj_id")
    )
    return [e for e in events if e.pgh_label != "delete"]


def snapshot_as_at(organisation, as_at) -> list[dict[str, Any]]:
    """The organisation's framework as it stood at ``as_at`` (``apps.core.history.as_at.AsAt``),
    in the shape of ``snapshot``: each principal risk, control, assurance, gap, objective and
    appetite as its audit trail had it then, with the risk's scores as they were; what the audit
    trail does not record (which objectives a risk threatens, which actions close a gap, the
    actions' status, committees' names) as it is now. A fixed number of queries."""
    from apps.risks.models import Risk

    from .models import (
        Assurance,
        Committee,
        Control,
        Effectiveness,
        Gap,
        GapKind,
        Level,
        Line,
        RiskAppetite,
        StrategicObjective,
    )

    moment = as_at.moment
    risks = {r.pgh_obj_id: r for r in _standing(Risk, moment, organisation_id=organisation.pk)}
    principals = [
        p
        for p in _standing(PrincipalRisk, moment, risk_id__in=list(risks))
        if risks[p.risk_id].archived_at is None
    ]
    ids = [p.pgh_obj_id for p in principals]
    controls = _standing(Control, moment, principal_risk_id__in=ids)
    assurances = _standing(Assurance, moment, control_id__in=[c.pgh_obj_id for c in controls])
    gaps = _standing(Gap, moment, principal_risk_id__in=ids)
    tolerances = {
        a.category: a.tolerance for a in _standing(RiskAppetite, moment, organisation_id=organisation.pk)
    }
    objectives = {
        o.pgh_obj_id: o for o in _standing(StrategicObjective, moment, organisation_id=organisation.pk)
    }
    # Not in the audit trail: shown as they are now.
    committees = dict(Committee.objects.filter(organisation=organisation).values_list("pk", "name"))
    links = PrincipalRisk.objects.filter(pk__in=ids).prefetch_related(
        "objectives__plan_objective", "objectives__plan_theme", "gaps__deliverables"
    )
    now = {p.pk: p for p in links}
    effectiveness, lines, levels = dict(Effectiveness.choices), dict(Line.choices), dict(Level.choices)
    kinds = dict(GapKind.choices)
    rows = []
    for p in sorted(principals, key=lambda p: (risks[p.risk_id].reference, p.pgh_obj_id)):
        risk = risks[p.risk_id]
        current = risk.residual_severity * risk.residual_likelihood
        tolerance = p.tolerance if p.tolerance is not None else tolerances.get(p.category)
        linked = now.get(p.pgh_obj_id)
        # The objective's own words as they were, else the plan's (as they are now).
        wording = [
            objectives[o.pk].text or o.wording
            for o in (linked.objectives.all() if linked else [])
            if o.pk in objectives
        ]
        actions_now = {g.pk: list(g.deliverables.all()) for g in (linked.gaps.all() if linked else [])}
        rows.append(
            {
                "id": p.pgh_obj_id,
                "risk_id": p.risk_id,
                "reference": risk.reference,
                "description": risk.description,
                "objectives": wording,
                "category": dict(PrincipalRisk._meta.get_field("category").flatchoices).get(p.category, ""),
                "inherent": risk.severity * risk.likelihood,
                "current": current,
                "target": p.target_severity * p.target_likelihood if p.target_severity else None,
                "target_date": _iso(p.target_date),
                "tolerance": tolerance,
                "outside_appetite": tolerance is not None and current > tolerance,
                "committee": committees.get(p.committee_id, ""),
                "controls": [
                    {
                        "id": c.pgh_obj_id,
                        "description": c.description,
                        "owner": c.owner,
                        "effectiveness": effectiveness.get(c.effectiveness, ""),
                        "assurances": [
                            {
                                "id": a.pgh_obj_id,
                                "description": a.description,
                                "line": lines.get(a.line, ""),
                                "level": a.level,
                                "level_label": levels.get(a.level, ""),
                                "received_on": _iso(a.received_on),
                                "committee": committees.get(a.committee_id, ""),
                            }
                            for a in assurances
                            if a.control_id == c.pgh_obj_id
                        ],
                    }
                    for c in controls
                    if c.principal_risk_id == p.pgh_obj_id
                ],
                "gaps": [
                    {
                        "id": g.pgh_obj_id,
                        "kind": kinds.get(g.kind, ""),
                        "description": g.description,
                        "closed_on": _iso(g.closed_on),
                        "actions": [
                            {
                                "id": d.pk,
                                "title": d.title,
                                "status": d.get_status_display(),
                                "deadline": _iso(d.deadline),
                                "deadline_text": d.deadline_text,
                            }
                            for d in actions_now.get(g.pgh_obj_id, [])
                        ],
                    }
                    for g in gaps
                    if g.principal_risk_id == p.pgh_obj_id
                ],
            }
        )
    return rows
