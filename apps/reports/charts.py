"""The Chart.js configuration of the trend over issued papers (rendered with json_script and
drawn by static/js/app.js, like the dashboard's other charts; the table beside it carries the
numbers)."""

from apps.dashboards.charts import AMBER, BLUE, RED


def paper_trend(trend):
    """% delivered (a line, left axis) and overdue deliverables and red risks (bars, right axis)
    per issued paper, oldest first."""
    return {
        "type": "bar",
        "data": {
            "labels": [row["label"] for row in trend],
            "datasets": [
                {
                    "type": "line",
                    "label": "% delivered",
                    "data": [row["delivered_pct"] for row in trend],
                    "borderColor": BLUE,
                    "backgroundColor": BLUE,
                    "yAxisID": "percent",
                },
                {
                    "label": "Overdue",
                    "data": [row["overdue"] for row in trend],
                    "backgroundColor": AMBER,
                    "yAxisID": "count",
                },
                {
                    "label": "Red risks",
                    "data": [row["red_risks"] for row in trend],
                    "backgroundColor": RED,
                    "yAxisID": "count",
                },
            ],
        },
        "options": {
            "scales": {
                "percent": {"type": "linear", "position": "left", "min": 0, "max": 100},
                "count": {
                    "type": "linear",
                    "position": "right",
                    "beginAtZero": True,
                    "grid": {"drawOnChartArea": False},
                },
            }
        },
    }
