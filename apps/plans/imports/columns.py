"""The columns of a plan spreadsheet, defined once for the import, its template and the
deliverables export (``apps/plans/tables.py`` takes ``EXPORT`` from here), so that a file
exported from ccgtrack imports as it is, and a header renamed in one place is renamed in all.

Each ``PlanColumn`` says its header; how the export fills it (an ``ExportColumn``, typed, or
None where the export has no such column); whether the import reads it, and what the template's
guide says about it. Columns the export writes and the import does not read (ID, Organisation,
Overdue, Last update...) are read past by an import, and listed as such in its preview.
"""

import re
from dataclasses import dataclass

from django.db.models import BooleanField, Case, OuterRef, TextField, Value, When
from django.db.models.functions import Coalesce, NullIf, TruncDate

from apps.core import exports
from apps.core.exports import BOOLEAN, DATE, DATETIME, INTEGER, MONEY, ExportColumn

from ..models import Deliverable, StatusUpdate, overdue_q

ID = "ID"
ORGANISATION = "Organisation"
PLAN = "Plan"
THEME_NUMBER = "Theme no."
THEME_TITLE = "Theme / priority area"
OBJECTIVE = "Objective"
REFERENCE = "Reference"
POSITION = "Position in theme"
SUBHEADING = "Subheading"
TITLE = "Deliverable / action"
OWNER = "Owner"
DEADLINE = "Deadline"
DEADLINE_TEXT = "Deadline (as the source states it)"
COST_AMOUNT = "Cost (£)"
COST_TEXT = "Cost (as the source states it)"
DOMAINS = "Authorisation domains"
STATUS = "Status"
OVERDUE = "Overdue"
SOURCE_STATUS = "Status in the source"
DELIVERED = "Delivered"
IN_PROGRESS = "In progress"
METHODS = "Methods"
SOURCE = "Source / lead"
COMMENTS = "Comments"
LAST_UPDATE = "Last update"
LAST_UPDATE_BY = "Last update by"
LATEST_NOTE = "Latest progress note"
LATEST_NOTE_DATE = "Latest progress note date"
VERSION = "Version"
EVIDENCE = "Evidence"

TITLE_MAX_LENGTH = 1000  # the longest title in the seed plans is under 300 characters


def overdue(today=None):
    """Overdue today (or on ``today``), "No" (not NULL) for a deliverable without a deadline."""
    return Case(When(overdue_q(today), then=Value(True)), default=Value(False), output_field=BooleanField())


def evidence_source(outer="pk"):
    from apps.evidence.columns import evidence_titles

    return evidence_titles("deliverable", outer)


LATEST_UPDATE = StatusUpdate.objects.filter(deliverable=OuterRef("pk")).order_by("-created_at", "-pk")


def note_columns(notes):
    """The latest progress note and its date (a date, UK time) from ``notes`` (the updates with a
    note, newest first: a status change may come without one)."""
    return (
        ExportColumn(LATEST_NOTE, exports.latest(notes, "note"), width=60),
        ExportColumn(LATEST_NOTE_DATE, exports.latest(notes, TruncDate("created_at")), DATE),
    )


@dataclass(frozen=True)
class PlanColumn:
    header: str
    export: ExportColumn | None = None  # how the export fills it (None: not exported)
    imported: bool = True  # the import reads it
    template: bool = True  # the import's template has it
    help: str = ""
    example: str = ""


def _statuses():
    return ", ".join(label for _, label in Deliverable.Status.choices)


SPEC = (
    PlanColumn(ID, ExportColumn(ID, "pk", INTEGER), imported=False, template=False),
    PlanColumn(
        ORGANISATION, ExportColumn(ORGANISATION, "theme__plan__organisation__name", width=30), False, False
    ),
    PlanColumn(PLAN, ExportColumn(PLAN, "theme__plan__title", width=30), imported=False, template=False),
    PlanColumn(
        THEME_NUMBER,
        ExportColumn(THEME_NUMBER, "theme__number", INTEGER),
        help="The theme's number in the plan. Optional when the reference gives it.",
        example="1",
    ),
    PlanColumn(
        THEME_TITLE,
        ExportColumn(THEME_TITLE, "theme__title", width=30),
        help="The theme (or priority area) the deliverable sits under. Needed for a theme the plan does "
        "not have yet; an existing theme keeps its title.",
        example="Governance, Structures and Processes",
    ),
    PlanColumn(OBJECTIVE, help="An objective of the theme; added to the theme if it is not there yet."),
    PlanColumn(
        REFERENCE,
        help="Required. The theme number and the deliverable's position in it, e.g. 1.4. The import matches "
        "rows to the plan by this, so each reference appears once. Keep the column formatted as text "
        "(Excel turns 1.10 typed as a number into 1.1).",
        example="1.4",
    ),
    PlanColumn(POSITION, ExportColumn(POSITION, "position", INTEGER), template=False),
    PlanColumn(
        SUBHEADING,
        ExportColumn(SUBHEADING, "subheading", width=30),
        help="A sub-heading grouping deliverables within a theme (200 characters at most).",
    ),
    PlanColumn(
        TITLE,
        ExportColumn(TITLE, "title", width=60),
        help=f"Required. What is to be delivered ({TITLE_MAX_LENGTH} characters at most).",
    ),
    PlanColumn(
        OWNER,
        # The member who owns it, else the owner as the source names them (as the table shows it).
        ExportColumn(
            OWNER,
            Coalesce(
                exports.person_name("owner__"), NullIf("owner_text", Value("")), output_field=TextField()
            ),
        ),
        help="The owner: a member of the organisation by full name, username or email, who will see it in "
        "My work; any other name is kept as written.",
    ),
    PlanColumn(
        DEADLINE,
        ExportColumn(DEADLINE, "deadline", DATE),
        help="A date (31/10/2012 or 2012-10-31), or the deadline in words: a month and year (Oct 2012, "
        "end of March 2013), a year (early 2014) or ongoing, TBC, n/a.",
        example="Oct 2012",
    ),
    PlanColumn(
        DEADLINE_TEXT,
        ExportColumn(DEADLINE_TEXT, "deadline_text", width=30),
        help="The deadline in the source's own words, kept as written.",
    ),
    PlanColumn(
        COST_AMOUNT,
        ExportColumn(COST_AMOUNT, "cost_amount", MONEY),
        help="The cost in pounds, as a number.",
        example="10000",
    ),
    PlanColumn(
        COST_TEXT,
        ExportColumn(COST_TEXT, "cost_text", width=30),
        help="The cost as the source states it; an amount alone (£10K) also fills Cost (£).",
        example="£10K",
    ),
    PlanColumn(
        DOMAINS,
        ExportColumn(DOMAINS, exports.joined(Deliverable, "domains", "number")),
        help="Authorisation domain numbers (1 to 6) separated by ';'.",
        example="1; 3",
    ),
    PlanColumn(
        STATUS,
        ExportColumn(STATUS, "status", transform=exports.choice_label(Deliverable.Status.choices)),
        help=f"One of: {_statuses()}. Empty: Not started for a new row, unchanged for an existing one.",
        example="In progress",
    ),
    PlanColumn(OVERDUE, ExportColumn(OVERDUE, overdue, BOOLEAN), imported=False, template=False),
    PlanColumn(
        SOURCE_STATUS,
        ExportColumn(SOURCE_STATUS, "source_status"),
        help="The status as the source document wrote it.",
    ),
    PlanColumn(
        DELIVERED, ExportColumn(DELIVERED, "delivered_narrative", width=60), help="What has been delivered."
    ),
    PlanColumn(
        IN_PROGRESS, ExportColumn(IN_PROGRESS, "in_progress_narrative", width=60), help="What is in progress."
    ),
    PlanColumn(METHODS, ExportColumn(METHODS, "methods", width=60), help="Methods or actions."),
    PlanColumn(
        SOURCE, ExportColumn(SOURCE, "source", width=40), help="Source or lead, as the plan states it."
    ),
    PlanColumn(COMMENTS, ExportColumn(COMMENTS, "comments", width=60), help="Comments."),
    PlanColumn(
        LAST_UPDATE,
        ExportColumn(LAST_UPDATE, exports.latest(LATEST_UPDATE, "created_at"), DATETIME),
        imported=False,
        template=False,
    ),
    PlanColumn(
        LAST_UPDATE_BY,
        ExportColumn(LAST_UPDATE_BY, exports.latest(LATEST_UPDATE, exports.person_name("created_by__"))),
        imported=False,
        template=False,
    ),
    *(
        PlanColumn(column.header, column, imported=False, template=False)
        for column in note_columns(LATEST_UPDATE.exclude(note=""))
    ),
    # Its evidence (apps/evidence/columns.py, imported when the export runs), never imported.
    PlanColumn(EVIDENCE, ExportColumn(EVIDENCE, evidence_source, width=60), imported=False, template=False),
    # The version the row had when it was exported: an import of a row that someone changed
    # since is a conflict, shown with both values, applied only if the importer chooses it.
    PlanColumn(VERSION, ExportColumn(VERSION, "version", INTEGER), template=False),
)

# The deliverables export (apps/plans/tables.py), in this order.
EXPORT = [c.export for c in SPEC if c.export is not None]
# The template's columns and the guide sheet, in the order the template puts them.
COLUMNS = tuple(c for c in SPEC if c.template)
TEMPLATE_COLUMNS = tuple(c.header for c in COLUMNS)
KNOWN_COLUMNS = tuple(c.header for c in SPEC if c.imported)
IGNORED_COLUMNS = tuple(c.header for c in SPEC if not c.imported)

# Fields a new row sets, and an existing row is compared on.
ROW_FIELDS = (
    "subheading",
    "title",
    "owner",
    "owner_text",
    "deadline",
    "deadline_text",
    "cost_amount",
    "cost_text",
    "status",
    "source_status",
    "delivered_narrative",
    "in_progress_narrative",
    "methods",
    "source",
    "comments",
)
FIELD_COLUMNS = {
    "subheading": SUBHEADING,
    "title": TITLE,
    "owner": OWNER,
    "owner_text": OWNER,
    "deadline": DEADLINE,
    "deadline_text": DEADLINE_TEXT,
    "cost_amount": COST_AMOUNT,
    "cost_text": COST_TEXT,
    "domains": DOMAINS,
    "status": STATUS,
    "source_status": SOURCE_STATUS,
    "delivered_narrative": DELIVERED,
    "in_progress_narrative": IN_PROGRESS,
    "methods": METHODS,
    "source": SOURCE,
    "comments": COMMENTS,
    "reference": REFERENCE,
    "theme_number": THEME_NUMBER,
    "theme_title": THEME_TITLE,
    "objective": OBJECTIVE,
    "position": POSITION,
    "version": VERSION,
}


def header_key(text):
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


KNOWN_BY_KEY = {header_key(h): h for h in KNOWN_COLUMNS}
IGNORED_BY_KEY = {header_key(h): h for h in IGNORED_COLUMNS}


def column_letter(index):
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
