"""The Board Assurance Framework as a board paper keeps it: ``snapshot`` reads the framework of an
organisation into plain data (the issued paper freezes it with the rest of its snapshot), and
``compare`` works out what changed between two papers' frameworks: scores moved, assurances
added or downgraded, gaps opened or closed. The reports app builds its papers with these."""

import datetime
from typing import Any

from .models import LEVEL_RANK, PrincipalRisk
from .selectors import with_framework

# What "scores moved" compares, and how the paper names each.
MOVED = (("current", "current rating"), ("target", "target rating"), ("tolerance", "tolerance"))


def _iso(value):
    return value.isoformat() if value else None


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def snapshot(organisation_id: int) -> list[dict[str, Any]]:
    """The organisation's principal risks with everything the framework shows of them (seven
    queries, whatever their number)."""
    principals = with_framework(
        PrincipalRisk.objects.current()
        .filter(risk__organisation_id=organisation_id)
        .with_appetite()
        .select_related("risk", "committee")
        .order_by("risk__reference", "pk")
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


def context(framework: list[dict] | None) -> list[dict] | None:
    """A snapshot's framework with its dates as dates, for the paper's template."""
    if framework is None:
        return None
    return [
        {
            **p,
            "target_date": _date(p["target_date"]),
            "controls": [
                {**c, "assurances": [{**a, "received_on": _date(a["received_on"])} for a in c["assurances"]]}
                for c in p["controls"]
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
