"""Bringing an OD plan in from a spreadsheet (XLSX or CSV): one service, in rooms of its own.

How an import runs

1. ``reading.read_file`` checks the upload (size, type, macros) and reads its first sheet into
   rows of cell values, counting every row, cell and cell style it goes through against a
   ``Budget`` (blank styled rows included) and a time budget, and stopping at the first it
   passes. Formulas are read as their text, never evaluated; the export's formula guard
   (``apps.core.exports.guard``) is taken off again (``unguard``).
2. ``cells.map_headers`` matches the header row to the columns (``columns.SPEC``, shared with
   the deliverables export and the template), refuses a file without the columns it needs or
   with a column twice, and reads past the export's columns that an import does not set.
3. ``mapping.DeliverableResource`` (django-import-export) maps each row to a deliverable of the
   plan, matched by its reference ("1.4": theme 1, position 4), cleaning each cell with the
   ``cells`` widgets and checking each field as the confirmed import will (one validation): a
   new deliverable, a change, a **conflict** (a row someone else saved since the version it
   rests on: the file's Version column, which the export writes, or the importer's earlier
   preview), or unchanged. Nothing is written.
4. ``preview.build_preview`` turns that into a ``Preview``: rows to add, to change (field by
   field), in conflict (with the current value beside the file's and who changed it),
   unchanged, row errors, new themes and objectives, ignored columns and notes, and a
   fingerprint of all of it.
5. ``pending`` keeps the file between preview and confirmation, through Django's file storage
   so that every app server sees it, within a cap per person.
6. ``service.apply`` is the import: one transaction, the plan locked, the file read again and
   its fingerprint compared with the preview the user confirmed (``ImportConflict``, with the
   current preview, and nothing saved, if they differ), then everything written through the
   plan services, the changed rows in one batch of the deliverables' edit path. A conflicting
   row is applied only if the importer chose it (``accept``).

Why django-import-export does not save the rows itself: its save path calls ``instance.save()``
on the instance it loaded (unlocked) and sets many-to-many fields directly, so it would bypass
the lock, the version check and the history row; and a version conflict must abort the whole
import, not become one row's error among others. So the library parses, maps, validates and
previews, and ``apply`` calls the services.
"""

from .cells import (
    DeadlineCell,
    cell_text,
    map_headers,
    parse_amount,
    parse_date,
    parse_deadline_text,
    parse_reference,
    reference_label,
)
from .columns import (
    COLUMNS,
    COMMENTS,
    COST_AMOUNT,
    COST_TEXT,
    DEADLINE,
    DEADLINE_TEXT,
    DELIVERED,
    DOMAINS,
    EXPORT,
    IGNORED_COLUMNS,
    IN_PROGRESS,
    KNOWN_COLUMNS,
    METHODS,
    OBJECTIVE,
    OWNER,
    POSITION,
    REFERENCE,
    SOURCE,
    SOURCE_STATUS,
    STATUS,
    SUBHEADING,
    TEMPLATE_COLUMNS,
    THEME_NUMBER,
    THEME_TITLE,
    TITLE,
    TITLE_MAX_LENGTH,
    VERSION,
    column_letter,
)
from .mapping import CellError, RowOutcome, Target
from .pending import MAX_PENDING_PER_USER, PENDING_MAX_AGE, Pending, discard, refresh, stash, unstash
from .preview import Preview, build_preview, preview_lines
from .reading import (
    MAX_CELLS_READ,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_ROWS_READ,
    MAX_UNPACKED_BYTES,
    TIME_BUDGET,
    Budget,
    FileRejected,
    Sheet,
    read_file,
)
from .service import ImportConflict, apply
from .templates import template_csv, template_xlsx

__all__ = [
    "COLUMNS",
    "COMMENTS",
    "COST_AMOUNT",
    "COST_TEXT",
    "DEADLINE",
    "DEADLINE_TEXT",
    "DELIVERED",
    "DOMAINS",
    "EXPORT",
    "IGNORED_COLUMNS",
    "IN_PROGRESS",
    "KNOWN_COLUMNS",
    "MAX_CELLS_READ",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_PENDING_PER_USER",
    "MAX_ROWS",
    "MAX_ROWS_READ",
    "MAX_UNPACKED_BYTES",
    "METHODS",
    "OBJECTIVE",
    "OWNER",
    "PENDING_MAX_AGE",
    "POSITION",
    "REFERENCE",
    "SOURCE",
    "SOURCE_STATUS",
    "STATUS",
    "SUBHEADING",
    "TEMPLATE_COLUMNS",
    "THEME_NUMBER",
    "THEME_TITLE",
    "TIME_BUDGET",
    "TITLE",
    "TITLE_MAX_LENGTH",
    "VERSION",
    "Budget",
    "CellError",
    "DeadlineCell",
    "FileRejected",
    "ImportConflict",
    "Pending",
    "Preview",
    "RowOutcome",
    "Sheet",
    "Target",
    "apply",
    "build_preview",
    "cell_text",
    "column_letter",
    "discard",
    "map_headers",
    "parse_amount",
    "parse_date",
    "parse_deadline_text",
    "parse_reference",
    "preview_lines",
    "read_file",
    "reference_label",
    "refresh",
    "stash",
    "template_csv",
    "template_xlsx",
    "unstash",
]
