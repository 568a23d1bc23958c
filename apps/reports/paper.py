"""A board paper as data.

``build`` turns what the report shows (read by ``selectors.paper_data``) into one JSON document:
the snapshot an issued paper keeps, and the live report's data too, so the page, the PDF, an
issued paper and every comparison are drawn from the same shape. ``context`` turns a snapshot
back into what the template renders (dates as dates); ``compare`` works out what changed between
two snapshots. Everything a paper says is in its snapshot, counted when it was read: nothing is
recomputed from a later day's rules.
"""

import datetime
from collections import Counter
from typing import Any, cast

from django.db.models import Field
from django.utils import timezone

from apps.assurance import paper as assurance_paper
from apps.plans.models import Deliverable, MaturityLevel
from apps.plans.selectors import progress
from apps.risks.models import Band

from .models import COVER_FIELDS, BoardReport

# 3: the paper keeps the organisation's Board Assurance Framework (``baf``); papers of schema 1
# and 2 render without it.
# 2: each deliverable row also keeps its latest progress note (``latest_note``), when its status
# last changed and when each narrative was last written; papers of schema 1 render without them.
SCHEMA = 3
# A summary list (notable areas, changes) prints a title whole up to this many words; a longer
# one is cut after a whole word, with an ellipsis and a link to the full text in the appendix.
TITLE_WORDS = 60
RED_BAND = Band.EXTREME  # "red" risks, as the national dashboard counts them


def person(user):
    """A user's name as a paper prints it."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _iso(value):
    return value.isoformat() if value else None


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _moment(value):
    """An ISO timestamp from a snapshot, in the local time zone (Europe/London)."""
    return timezone.localtime(datetime.datetime.fromisoformat(value)) if value else None


# --- Building the snapshot ---------------------------------------------------------------------


def build(*, plan, report, risks, scheme, assessment, levels, read_at, marks=None):
    """The snapshot of a paper: ``plan`` as ``plans.selectors.plan_detail`` prefetches it,
    ``report`` its cover sheet (or None), ``risks`` every risk of its organisation with ratings
    annotated, ``assessment`` the latest self-assessment (scores prefetched) or None, ``marks``
    each deliverable's latest progress note and when its status and narratives last changed
    (``selectors.deliverable_marks``)."""
    today = read_at.date()
    marks = marks or {}
    deliverables, themes = [], []
    for theme in plan.themes.all():
        rows = [_deliverable(d, theme, today, marks.get(d.pk, {})) for d in theme.deliverables.all()]
        deliverables.extend(rows)
        themes.append(
            {
                "id": theme.pk,
                "number": theme.number,
                "title": theme.title,
                "objectives": [o.text for o in theme.objectives.all()],
                "progress": progress(row["bucket"] for row in rows),
                "overdue_count": sum(1 for row in rows if row["overdue"]),
                "further_work_count": sum(
                    1 for row in rows if row["status"] == Deliverable.Status.DELIVERED_FURTHER_WORK
                ),
            }
        )
    risk_rows = [_risk(r) for r in risks]
    open_risks = [r for r in risk_rows if r["status"] == "open"]
    inherent = Counter(r["band"] for r in open_risks)
    residual = Counter(r["residual_band"] for r in open_risks)
    delivered = [d for d in deliverables if d["delivered"]]
    return {
        "schema": SCHEMA,
        "read_at": read_at.isoformat(),
        "today": today.isoformat(),
        "plan": {
            "id": plan.pk,
            "title": plan.title,
            "organisation": {
                "id": plan.organisation.pk,
                "name": plan.organisation.name,
                "slug": plan.organisation.slug,
            },
        },
        "report": _report(report),
        "themes": themes,
        "deliverables": deliverables,
        "totals": {
            "total": len(deliverables),
            "delivered": len(delivered),
            "further_work": sum(t["further_work_count"] for t in themes),
            "open": len(deliverables) - len(delivered),
            "overdue": sum(1 for d in deliverables if d["overdue"]),
        },
        "progress": progress(d["bucket"] for d in deliverables),
        "risks": risk_rows,
        "band_rows": [
            {"band": band.value, "label": band.label, "inherent": inherent[band], "residual": residual[band]}
            for band in Band
        ],
        "scheme": {
            "low_max": scheme.low_max,
            "moderate_max": scheme.moderate_max,
            "high_max": scheme.high_max,
        },
        "self_assessment": _assessment(assessment, levels),
        "changes": None,
        "issue": None,
    }


def _deliverable(d, theme, today, marks):
    delivered = d.status in Deliverable.DELIVERED_STATUSES
    return {
        "id": d.pk,
        "theme_id": theme.pk,
        "theme_number": theme.number,
        "position": d.position,
        "subheading": d.subheading,
        "title": d.title,
        "status": d.status,
        "status_label": d.get_status_display(),
        "bucket": Deliverable.bucket(d.status),
        "delivered": delivered,
        "deadline": _iso(d.deadline),
        "deadline_text": d.deadline_text,
        "overdue": bool(d.deadline and d.deadline < today and not delivered),
        "owner": person(d.owner) or d.owner_text,  # the member, else as the source names them
        "owner_id": d.owner_id,
        "domains": [domain.number for domain in d.domains.all()],
        "delivered_narrative": d.delivered_narrative,
        "in_progress_narrative": d.in_progress_narrative,
        "comments": d.comments,
        "version": d.version,
        "latest_note": marks.get("latest_note"),
        "status_changed_at": marks.get("status_changed_at"),
        "delivered_narrative_at": marks.get("delivered_narrative_at"),
        "in_progress_narrative_at": marks.get("in_progress_narrative_at"),
        # What a delivered item rests on (apps/evidence), as it stood when the paper was read.
        "evidence": marks.get("evidence", []) if delivered else [],
    }


def _risk(r):
    return {
        "id": r.pk,
        "reference": r.reference,
        "description": r.description,
        "category": r.category,
        "status": r.status,
        "severity": r.severity,
        "likelihood": r.likelihood,
        "rating": r.rating,
        "band": r.band,
        "residual_severity": r.residual_severity,
        "residual_likelihood": r.residual_likelihood,
        "residual_rating": r.residual_rating,
        "residual_band": r.residual_band,
        "owner": person(r.owner) or r.owner_text,
        "version": r.version,
    }


def _report(report):
    if report is None:
        return None
    data = {"id": report.pk, "version": report.version}
    for name in COVER_FIELDS:
        value = getattr(report, name)
        data[name] = _iso(value) if name == "meeting_date" else value
    return data


def _assessment(assessment, levels):
    if assessment is None:
        return None
    scores = []
    for score in assessment.scores.all():
        level = MaturityLevel.for_score(score.score_percent, levels)
        scores.append(
            {
                "domain": score.domain.number,
                "domain_name": score.domain.name,
                "score_percent": str(score.score_percent),
                "level": level.level if level else None,
                "level_label": level.label if level else "",
            }
        )
    return {
        "id": assessment.pk,
        "assessed_label": assessment.assessed_label,
        "assessed_on": _iso(assessment.assessed_on),
        "tool": assessment.tool,
        "scores": scores,
    }


def figures(snapshot):
    """The headline figures an issued paper keeps in its own columns."""
    open_risks = [r for r in snapshot["risks"] if r["status"] == "open"]
    return {
        "deliverable_count": snapshot["totals"]["total"],
        "delivered_count": snapshot["totals"]["delivered"],
        "overdue_count": snapshot["totals"]["overdue"],
        "open_risk_count": len(open_risks),
        "red_risk_count": sum(1 for r in open_risks if r["band"] == RED_BAND),
        "red_residual_risk_count": sum(1 for r in open_risks if r["residual_band"] == RED_BAND),
    }


# --- What changed between two papers ---------------------------------------------------------


def status_update_rows(updates):
    """StatusUpdate rows (with ``created_by`` and ``deliverable`` loaded) as a paper keeps them."""
    return [
        {
            "deliverable_id": u.deliverable_id,
            "at": u.created_at.isoformat(),
            "by": person(u.created_by) or "unknown",
            "from": u.from_status,
            "from_label": u.get_from_status_display(),
            "to": u.to_status,
            "to_label": u.get_to_status_display(),
            "note": u.note,
        }
        for u in updates
        if u.from_status != u.to_status
    ]


def paper_ref(paper):
    """Which paper a comparison starts from, as the 'changes since' heading names it."""
    return {
        "id": paper.pk,
        "number": paper.number,
        "title": paper.title,
        "meeting_date": _iso(paper.meeting_date),
        "read_at": paper.read_at.isoformat(),
    }


def _direction(before, after):
    return "up" if after > before else "down"


def _short(row):
    return {"id": row["id"], "title": row["title"]}


def compare(before, after, *, updates=(), since=None):
    """What changed from snapshot ``before`` to snapshot ``after``: status changes (with the
    status updates recorded between them: who, when, the note), deliverables newly delivered,
    newly overdue or with a moved deadline, deliverables added and removed, risks whose rating
    went up or down (inherent and residual), new, closed and reopened risks, and
    self-assessment scores that moved. ``since`` names the earlier paper."""
    b_rows = {d["id"]: d for d in before["deliverables"]}
    a_rows = {d["id"]: d for d in after["deliverables"]}
    steps: dict[Any, Any] = {}
    for update in updates:
        steps.setdefault(update["deliverable_id"], []).append(update)

    status_changes, delivered, overdue, moved = [], [], [], []
    for row in after["deliverables"]:
        old = b_rows.get(row["id"])
        if old is None:
            continue
        if old["status"] != row["status"] or row["id"] in steps:
            status_changes.append(
                {
                    **_short(row),
                    "from": old["status"],
                    "from_label": old["status_label"],
                    "to": row["status"],
                    "to_label": row["status_label"],
                    "updates": sorted(steps.get(row["id"], []), key=lambda u: u["at"]),
                }
            )
        if row["delivered"] and not old["delivered"]:
            delivered.append({**_short(row), "status_label": row["status_label"]})
        if row["overdue"] and not old["overdue"]:
            overdue.append(
                {**_short(row), "deadline": row["deadline"], "deadline_text": row["deadline_text"]}
            )
        if (old["deadline"], old["deadline_text"]) != (row["deadline"], row["deadline_text"]):
            moved.append(
                {
                    **_short(row),
                    "from": old["deadline"],
                    "from_text": old["deadline_text"],
                    "to": row["deadline"],
                    "to_text": row["deadline_text"],
                    "direction": _deadline_direction(old["deadline"], row["deadline"]),
                }
            )
    added = [_short(row) for row in after["deliverables"] if row["id"] not in b_rows]
    removed = [_short(row) for row in before["deliverables"] if row["id"] not in a_rows]

    risks = _risk_changes(before["risks"], after["risks"])
    baf = assurance_paper.compare(before.get("baf"), after.get("baf"))
    scores = _score_changes(before.get("self_assessment"), after.get("self_assessment"))
    changes = {
        "since": since,
        "status_changes": status_changes,
        "delivered": delivered,
        "newly_overdue": overdue,
        "deadline_moved": moved,
        "added": added,
        "removed": removed,
        **risks,
        **scores,
        "baf": baf,
    }
    changes["count"] = (
        sum(
            len(changes[key])
            for key in (
                "status_changes",
                "delivered",
                "newly_overdue",
                "deadline_moved",
                "added",
                "removed",
                "risk_ratings",
                "new_risks",
                "closed_risks",
                "reopened_risks",
                "scores",
            )
        )
        + (1 if changes["assessment"] else 0)
        + (baf["count"] if baf else 0)
    )
    return changes


def _deadline_direction(before, after):
    if before and after:
        return "later" if after > before else "earlier"
    return "set" if after else "cleared"


def _rating_change(old, new, rating, severity, likelihood, band):
    if old[rating] == new[rating]:
        return None
    return {
        "from": old[rating],
        "to": new[rating],
        "from_scores": f"{old[severity]} x {old[likelihood]}",
        "to_scores": f"{new[severity]} x {new[likelihood]}",
        "from_band": old[band],
        "to_band": new[band],
        "direction": _direction(old[rating], new[rating]),
    }


def _risk_changes(before, after):
    b_risks = {r["id"]: r for r in before}
    a_risks = {r["id"]: r for r in after}

    def short(r):
        return {
            "id": r["id"],
            "reference": r["reference"],
            "description": r["description"],
            "rating": r["rating"],
            "band": r["band"],
            "residual_rating": r["residual_rating"],
            "residual_band": r["residual_band"],
        }

    ratings, new, closed, reopened = [], [], [], []
    for risk in after:
        old = b_risks.get(risk["id"])
        if old is None:
            if risk["status"] == "open":
                new.append(short(risk))
            continue
        if old["status"] == "open" and risk["status"] != "open":
            closed.append({**short(risk), "removed": False})
        elif old["status"] != "open" and risk["status"] == "open":
            reopened.append(short(risk))
        if risk["status"] == "open":
            inherent = _rating_change(old, risk, "rating", "severity", "likelihood", "band")
            residual = _rating_change(
                old, risk, "residual_rating", "residual_severity", "residual_likelihood", "residual_band"
            )
            if inherent or residual:
                ratings.append({**short(risk), "inherent": inherent, "residual": residual})
    for risk in before:
        if risk["id"] not in a_risks and risk["status"] == "open":
            closed.append({**short(risk), "removed": True})
    return {"risk_ratings": ratings, "new_risks": new, "closed_risks": closed, "reopened_risks": reopened}


def _score_changes(before, after):
    b_scores = {s["domain"]: s for s in (before or {}).get("scores", [])}
    a_scores = {s["domain"]: s for s in (after or {}).get("scores", [])}
    moved = []
    for domain in sorted(set(b_scores) | set(a_scores)):
        old, new = b_scores.get(domain), a_scores.get(domain)
        old_value = float(old["score_percent"]) if old else None
        new_value = float(new["score_percent"]) if new else None
        if old_value == new_value:
            continue
        either = new or old
        assert either is not None  # a domain is in one snapshot or the other
        moved.append(
            {
                "domain": domain,
                "domain_name": either["domain_name"],
                "from": old["score_percent"] if old else None,
                "to": new["score_percent"] if new else None,
                "from_level": old["level_label"] if old else "",
                "to_level": new["level_label"] if new else "",
                "direction": _direction(old_value, new_value)
                if old is not None and new is not None
                else ("new" if new else "removed"),
            }
        )
    assessment = None
    b_label = (before or {}).get("assessed_label")
    a_label = (after or {}).get("assessed_label")
    if (before or {}).get("id") != (after or {}).get("id"):
        assessment = {"from": b_label or "", "to": a_label or ""}
    return {"scores": moved, "assessment": assessment}


def side_by_side(before, after):
    """The headline figures of two snapshots, row by row: (label, before, after, difference)."""

    def pct(snapshot):
        totals = snapshot["totals"]
        return round(100 * totals["delivered"] / totals["total"], 1) if totals["total"] else 0

    def open_risks(snapshot):
        return [r for r in snapshot["risks"] if r["status"] == "open"]

    rows = [
        ("Key deliverables", before["totals"]["total"], after["totals"]["total"]),
        ("Delivered", before["totals"]["delivered"], after["totals"]["delivered"]),
        ("Per cent delivered", pct(before), pct(after)),
        ("Still to deliver", before["totals"]["open"], after["totals"]["open"]),
        ("Overdue", before["totals"]["overdue"], after["totals"]["overdue"]),
        ("Open risks", len(open_risks(before)), len(open_risks(after))),
    ]
    for b_row, a_row in zip(before["band_rows"], after["band_rows"], strict=True):
        rows.append((f"{a_row['label']} risks (inherent)", b_row["inherent"], a_row["inherent"]))
        rows.append((f"{a_row['label']} risks (residual)", b_row["residual"], a_row["residual"]))
    b_scores = {s["domain"]: s for s in (before.get("self_assessment") or {}).get("scores", [])}
    a_scores = {s["domain"]: s for s in (after.get("self_assessment") or {}).get("scores", [])}
    for domain in sorted(set(b_scores) | set(a_scores)):
        name = (a_scores.get(domain) or b_scores[domain])["domain_name"]
        b_value = float(b_scores[domain]["score_percent"]) if domain in b_scores else None
        a_value = float(a_scores[domain]["score_percent"]) if domain in a_scores else None
        rows.append((f"Self-assessment: {domain}. {name} (%)", b_value, a_value))
    return [
        {
            "label": label,
            "before": b,
            "after": a,
            "difference": round(a - b, 1) if a is not None and b is not None else None,
        }
        for label, b, a in rows
    ]


# --- From a snapshot to what the template renders --------------------------------------------


def context(snapshot):
    """What ``reports/_report_body.html`` renders, from a snapshot: dates back to dates, the
    deliverables grouped per theme (and sub-heading), the areas delivered and still to deliver."""
    read_at = _moment(snapshot["read_at"])
    rows = [_display_row(d) for d in snapshot["deliverables"]]
    by_theme: dict[Any, list[Any]] = {}
    for row in rows:
        by_theme.setdefault(row["theme_id"], []).append(row)
    themes, areas = [], []
    for theme in snapshot["themes"]:
        items = by_theme.get(theme["id"], [])
        theme = {**theme, "subheaded": _group_by_subheading(items)}
        themes.append(theme)
        areas.append(
            {
                "theme": theme,
                "delivered": [d for d in items if d["delivered"]],
                "open": [d for d in items if not d["delivered"]],
                "further_work_count": theme["further_work_count"],
                "overdue_count": theme["overdue_count"],
            }
        )
    report = snapshot["report"]
    if report:
        report = {**report, "meeting_date": _date(report["meeting_date"])}
    risks = snapshot["risks"]
    return {
        "plan": snapshot["plan"],
        "report": report,
        "cover_rows": cover_rows(report),
        "themes": themes,
        "areas": areas,
        "totals": snapshot["totals"],
        "progress": snapshot["progress"],
        "risk_summary": {
            "risks": [r for r in risks if r["status"] == "open"],
            "band_rows": snapshot["band_rows"],
            "closed_count": sum(1 for r in risks if r["status"] != "open"),
            "scheme": snapshot["scheme"],
        },
        "self_assessment": _display_assessment(snapshot["self_assessment"]),
        "read_at": read_at,
        "changes": changes_context(snapshot["changes"]),
        "baf": assurance_paper.context(snapshot.get("baf")),
        "issue": _display_issue(snapshot.get("issue")),
        # Papers read before evidence was kept have no "evidence" in their rows: say nothing.
        "shows_evidence": any("evidence" in d for d in snapshot["deliverables"]),
    }


def cover_rows(report):
    """(label, value) for each row of the cover sheet, labelled as the papers label them."""
    report = report or {}
    return [
        (cast(Field, BoardReport._meta.get_field(name)).verbose_name, report.get(name, ""))
        for name in COVER_FIELDS
        if name != "title"
    ]


def _display_row(d):
    """A deliverable row as the template shows it: dates as dates, its latest progress note,
    and, for each narrative written before the latest change of status, a line that says so
    (a delivered item whose narrative still says what "will be in place"). Rows of papers
    issued before these were kept (schema 1) have neither."""
    note = d.get("latest_note")
    changed_at = _moment(d.get("status_changed_at"))
    older = {}
    for field in ("delivered_narrative", "in_progress_narrative"):
        written_at = _moment(d.get(f"{field}_at"))
        if d[field] and written_at and changed_at and written_at < changed_at:
            older[field] = (
                f"Written before the status changed to {d['status_label']} on {changed_at:%-d %B %Y}."
            )
    return {
        **d,
        "evidence": [{**e, "speaks_for": _date(e["speaks_for"])} for e in d.get("evidence", [])],
        "deadline": _date(d["deadline"]),
        "latest_note": {**note, "at": _moment(note["at"])} if note else None,
        "delivered_narrative_older": older.get("delivered_narrative", ""),
        "in_progress_narrative_older": older.get("in_progress_narrative", ""),
    }


def title_parts(text, words=TITLE_WORDS):
    """``text`` as a summary prints it: (shown, cut). Whole, or past ``words`` words, the
    first ``words`` whole words and an ellipsis (cut is True): never in the middle of a word."""
    parts = (text or "").split()
    if len(parts) <= words:
        return text, False
    return " ".join(parts[:words]) + "…", True


def _group_by_subheading(rows):
    groups: dict[Any, list[Any]] = {}
    for row in rows:
        groups.setdefault(row["subheading"], []).append(row)
    return list(groups.items())


def _display_assessment(assessment):
    if assessment is None:
        return None
    return {**assessment, "assessed_on": _date(assessment["assessed_on"])}


def _display_issue(issue):
    if not issue:
        return None
    supersedes = issue.get("supersedes")
    return {
        **issue,
        "meeting_date": _date(issue["meeting_date"]),
        "supersedes": {**supersedes, "meeting_date": _date(supersedes["meeting_date"])}
        if supersedes
        else None,
    }


def changes_context(changes):
    """A ``compare`` result with its dates as dates, for ``reports/_changes.html``."""
    if changes is None:
        return None
    since = changes["since"]
    result = dict(changes)
    if since:
        result["since"] = {
            **since,
            "meeting_date": _date(since["meeting_date"]),
            "read_at": _moment(since["read_at"]),
        }
    result["status_changes"] = [
        {**c, "updates": [{**u, "at": _moment(u["at"])} for u in c["updates"]]}
        for c in changes["status_changes"]
    ]
    result["newly_overdue"] = [{**c, "deadline": _date(c["deadline"])} for c in changes["newly_overdue"]]
    result["deadline_moved"] = [
        {**c, "from": _date(c["from"]), "to": _date(c["to"])} for c in changes["deadline_moved"]
    ]
    return result
