"""Chart.js configurations built from dashboard data (rendered with json_script, drawn by
static/js/app.js, which makes every chart fill its box). Colours pair with the tables beside each
chart, which carry the numbers. Each dataset is drawn in one colour, so its legend entry shows
the colour drawn; long labels are wrapped into lines, never cut; count axes step in whole
numbers."""

import textwrap
from typing import Any

from .selectors import DomainFigure, OrganisationProgress, ThemeProgress

GREEN, AMBER, GREY, BLUE, DARK_GREY, RED = "#007f3b", "#ed8b00", "#aeb7bd", "#005eb8", "#4c6272", "#d5281b"
LABEL_WIDTH = 22  # characters a line of an axis label holds: half of a phone-wide chart
WHOLE_NUMBERS = {"beginAtZero": True, "ticks": {"precision": 0}}


def wrap(label, width=LABEL_WIDTH):
    """``label`` as lines of at most ``width`` characters (Chart.js draws a list as lines)."""
    lines = textwrap.wrap(label, width=width, break_long_words=False, break_on_hyphens=False)
    return lines if len(lines) > 1 else label


def _theme_label(theme, several_plans):
    prefix = f"{theme.plan.organisation.name}: " if several_plans else ""
    return f"{prefix}{theme.number}. {theme.title}"


def organisation_charts(data: dict[str, Any]) -> dict[str, Any]:
    rollup: list[OrganisationProgress] = data.get("rollup") or []
    rows: list[ThemeProgress] | list[OrganisationProgress] = rollup or data["themes"]
    themes = [row.theme for row in data["themes"]]
    domains: list[DomainFigure] = data["domains"]["domains"]
    months = data["delivered_per_month"]
    several_plans = len({t.plan_id for t in themes}) > 1
    if rollup:
        labels = [wrap(f"{r.organisation.name}{' (own plans)' if r.own else ''}") for r in rollup]
    else:
        labels = [wrap(_theme_label(t, several_plans)) for t in themes]
    return {
        "themes": {
            "type": "bar",
            "data": {
                "labels": labels,
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
            "options": {
                "indexAxis": "y",
                # Every theme keeps its label (no skipping); app.js gives the box a row per theme.
                "scales": {
                    "x": {"stacked": True, **WHOLE_NUMBERS},
                    "y": {"stacked": True, "ticks": {"autoSkip": False}},
                },
            },
        },
        "bands": {
            "type": "bar",
            "data": {
                "labels": [row["label"] for row in data["band_rows"]],
                "datasets": [
                    # The band is the label under each pair of bars; the two datasets are two
                    # plain colours, so the legend shows what is drawn.
                    {
                        "label": "Inherent (before mitigation)",
                        "data": [row["inherent"].count for row in data["band_rows"]],
                        "backgroundColor": BLUE,
                    },
                    {
                        "label": "Residual (after mitigation)",
                        "data": [row["residual"].count for row in data["band_rows"]],
                        "backgroundColor": DARK_GREY,
                    },
                ],
            },
            "options": {"scales": {"y": WHOLE_NUMBERS}},
        },
        "domains": {
            "type": "bar",
            "data": {
                "labels": [wrap(f"{d.domain.number}. {d.domain.name}", 18) for d in domains],
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
            "options": {"scales": {"y": WHOLE_NUMBERS}},
        },
    }
