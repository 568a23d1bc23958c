"""Spreadsheets for the import tests, made here: a plan's deliverables written in the import's
columns (what the deliverables export carries), as CSV or XLSX bytes."""

import csv
import io

from openpyxl import Workbook

from apps.plans import imports as im
from apps.plans.models import Deliverable


def _person(user):
    return (user.get_full_name() or user.get_username()) if user else ""


def plan_rows(plan, columns=im.TEMPLATE_COLUMNS):
    """A header row and one row per deliverable of ``plan``, in ``columns``."""
    deliverables = (
        Deliverable.objects.filter(theme__plan=plan)
        .select_related("theme__plan__organisation", "owner")
        .prefetch_related("domains")
        .order_by("theme__number", "position")
    )
    rows = [list(columns)]
    for d in deliverables:
        values = {
            "ID": d.pk,
            "Organisation": d.theme.plan.organisation.name,
            "Plan": d.theme.plan.title,
            im.THEME_NUMBER: d.theme.number,
            im.THEME_TITLE: d.theme.title,
            im.OBJECTIVE: "",
            im.REFERENCE: f"{d.theme.number}.{d.position}",
            im.POSITION: d.position,
            im.SUBHEADING: d.subheading,
            im.TITLE: d.title,
            im.OWNER: _person(d.owner) or d.owner_text,
            im.DEADLINE: d.deadline,
            im.DEADLINE_TEXT: d.deadline_text,
            im.COST_AMOUNT: d.cost_amount,
            im.COST_TEXT: d.cost_text,
            im.DOMAINS: "; ".join(str(x.number) for x in d.domains.all()),
            im.STATUS: d.get_status_display(),
            "Overdue": "Yes" if d.overdue else "No",
            im.SOURCE_STATUS: d.source_status,
            im.DELIVERED: d.delivered_narrative,
            im.IN_PROGRESS: d.in_progress_narrative,
            im.METHODS: d.methods,
            im.SOURCE: d.source,
            im.COMMENTS: d.comments,
            "Last update": None,
            "Last update by": "",
        }
        rows.append([values[c] for c in columns])
    return rows


def to_csv(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(["" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows, text_columns=(im.REFERENCE,)):
    """An XLSX workbook (first sheet "Plan"); dates as date cells, the reference as text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Plan"
    for row in rows:
        sheet.append(row)
    header = rows[0]
    for name in text_columns:
        if name in header:
            index = header.index(name) + 1
            for (cell,) in sheet.iter_rows(min_col=index, max_col=index, min_row=2):
                cell.data_type = "s"
                cell.number_format = "@"
    for name in (im.DEADLINE,):
        if name in header:
            index = header.index(name) + 1
            for (cell,) in sheet.iter_rows(min_col=index, max_col=index, min_row=2):
                if cell.value:
                    cell.number_format = "dd/mm/yyyy"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def column(rows, name):
    return rows[0].index(name)
