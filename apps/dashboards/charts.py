"""Chart.js configurations built from dashboard data (rendered with json_script, drawn by
static/js/app.js). Colours pair with the tables beside each chart, which carry the numbers."""

from typing import Any

from .selectors import DomainFigure, ThemeProgress

GREEN, AMBER, GREY, RED, YELLOW, BLUE = "#007f3b", "#ed8b00", "#aeb7bd", "#d5281b", "#ffeb3b", "#005eb8"
BAND_COLOURS = {"low": GREEN, "moderate": YELLOW, "high": AMBER, "extreme": RED}


def organisation_charts(data: dict[str, Any]) -> dict[str, Any]:
    rows: list[ThemeProgress] = data["themes"]
    themes = [row.theme for row in rows]
    domains: list[DomainFigure] = data["domains"]["domains"]
    months = data["delivered_per_month"]
    several_plans = len({t.plan_id for t in themes}) > 1
    return {
        "themes": {
            "type": "bar",
            "data": {
                "labels": [
                    (f"{t.plan.organisation.name}: " if several_plans else "") + f"{t.number}. {t.title[:50]}"
                    for t in themes
                ],
                "datasets": [
                    {
                        "label": "Delivered",
                        "data": [row.progress["delivered"] for row in rows],
                        "backgroundColor": GREEN,
                    },
                    {
                        "label": "In progress",
                        "data": [row.progress["in_progress"] for row in rows],
                        "backgroundColor": AMBER,
                    },
                    {
                        "label": "Not started",
                        "data": [row.progress["not_started"] for row in rows],
                        "backgroundColor": GREY,
                    },
                ],
            },
            "options": {"indexAxis": "y", "scales": {"x": {"stacked": True}, "y": {"stacked": True}}},
        },
        "bands": {
            "type": "bar",
            "data": {
                "labels": [row["label"] for row in data["band_rows"]],
                "datasets": [
                    {
                        "label": "Inherent",
                        "data": [row["inherent"].count for row in data["band_rows"]],
                        "backgroundColor": [BAND_COLOURS[row["band"]] for row in data["band_rows"]],
                    },
                    {
                        "label": "Residual",
                        "data": [row["residual"].count for row in data["band_rows"]],
                        "backgroundColor": GREY,
                    },
                ],
            },
        },
        "domains": {
            "type": "bar",
            "data": {
                "labels": [f"{d.domain.number}. {d.domain.name}" for d in domains],
                "datasets": [
                    {
                        "label": "Self-assessment score (%)",
                        "data": [float(d.score.score_percent) if d.score else None for d in domains],
                        "backgroundColor": BLUE,
                    },
                ],
            },
            "options": {"scales": {"y": {"min": 0, "max": 100}}},
        },
        "months": {
            "type": "bar",
            "data": {
                "labels": [m["month"].strftime("%b %Y") for m in months],
                "datasets": [
                    {
                        "label": "Deliverables delivered",
                        "data": [m["count"] for m in months],
                        "backgroundColor": GREEN,
                    }
                ],
            },
        },
    }
