"""What the seed holds, read from ``fixtures/*.json`` itself (not through the app's queries).

View tests state their expectations with these ("every Dorset deliverable", "Darlington's open
extreme risks") instead of copying today's counts, so a corrected seed breaks only the seed
tests in tests/seed, which check the fixtures against the source documents with exact figures."""

import json
from collections import defaultdict
from functools import cache
from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures"
DELIVERED = ("delivered", "delivered_further_work")  # Deliverable.DELIVERED_STATUSES, as stored


@cache
def _by_model() -> dict[str, list[dict]]:
    records = defaultdict(list)
    for path in sorted(FIXTURES_DIR.glob("*.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            records[record["model"]].append({"pk": record.get("pk"), **record["fields"]})
    return dict(records)


def records(model: str, **match) -> list[dict]:
    """The records of ``model`` ("app.model") whose fields equal ``match``, as dicts with "pk"."""
    return [r for r in _by_model().get(model, []) if all(r.get(k) == v for k, v in match.items())]


def _slug(natural_key):
    return natural_key[0] if natural_key else None


def organisations(**match) -> list[dict]:
    return records("organisations.organisation", **match)


def beneath(slug: str) -> set[str]:
    """The slugs of the organisation and of everything beneath it (the parent chain)."""
    children = defaultdict(set)
    for org in organisations():
        children[_slug(org["parent"])].add(org["slug"])
    found, todo = set(), [slug]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children[current] - found)
    return found


def plan_organisation(plan_pk) -> str:
    return _slug(records("plans.odplan", pk=plan_pk)[0]["organisation"])


def deliverables(within: str | None = None, **match) -> list[dict]:
    """Deliverables (of the plans of ``within`` and everything beneath it), each with its
    organisation's slug as "organisation"."""
    themes = {t["pk"]: t["plan"] for t in records("plans.theme")}
    rows = [
        {**d, "organisation": plan_organisation(themes[d["theme"]])} for d in records("plans.deliverable")
    ]
    scope = beneath(within) if within else None
    return [
        d
        for d in rows
        if (scope is None or d["organisation"] in scope) and all(d.get(k) == v for k, v in match.items())
    ]


def delivered(rows: list[dict]) -> list[dict]:
    return [d for d in rows if d["status"] in DELIVERED]


def risks(within: str | None = None, **match) -> list[dict]:
    scope = beneath(within) if within else None
    return [r for r in records("risks.risk", **match) if scope is None or _slug(r["organisation"]) in scope]


def band(rating: int) -> str:
    """The band of a rating under the seed's band scheme (its edges, read from the fixture)."""
    scheme = records("risks.bandscheme")[0]
    for name, top in (("low", "low_max"), ("moderate", "moderate_max"), ("high", "high_max")):
        if rating <= scheme[top]:
            return name
    return "extreme"


def rating(risk: dict, residual: bool = False) -> int:
    prefix = "residual_" if residual else ""
    return risk[f"{prefix}severity"] * risk[f"{prefix}likelihood"]


def band_counts(rows: list[dict], residual: bool = False) -> dict[str, int]:
    counts = dict.fromkeys(("low", "moderate", "high", "extreme"), 0)
    for risk in rows:
        counts[band(rating(risk, residual))] += 1
    return counts


def plans_of_ccgs() -> list[str]:
    """Slugs of the CCGs that have an OD plan."""
    ccgs = {o["slug"] for o in organisations(kind="ccg")}
    return sorted({_slug(p["organisation"]) for p in records("plans.odplan")} & ccgs)
