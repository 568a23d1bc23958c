"""The preview: what an import would do, before anything is saved; and its fingerprint, which
the confirmation compares under the plan's lock, so that what is saved is what the user saw."""

import hashlib
import json
import logging
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction

from apps.core.exports import CONTROL_CHARACTERS

from ..services import NOTE_MAX_LENGTH
from .cells import build_dataset, cell_text, map_headers
from .columns import FIELD_COLUMNS, column_letter
from .mapping import CellError, DeliverableResource, Target, _shown_value
from .reading import Budget, FileRejected, read_file

logger = logging.getLogger("apps.plans.imports")


@dataclass
class Preview:
    """What an import would do, before anything is saved."""

    file_name: str
    target: Target
    data: bytes = b""  # the file, read again under the plan's lock when the import is confirmed
    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    # Rows someone else changed since the version they rest on: applied only if the importer
    # chooses each (``apply(accept=...)``), never as ordinary changes.
    conflicts: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    new_themes: list = field(default_factory=list)  # (number, title)
    new_objectives: list = field(default_factory=list)  # (theme number, text)
    ignored_columns: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    @property
    def has_changes(self):
        return bool(self.new or self.changed or self.conflicts or self.new_themes or self.new_objectives)

    @property
    def note(self):
        return f"Imported from {self.file_name}"[:NOTE_MAX_LENGTH]

    def versions(self):
        """The version of each matched deliverable as previewed."""
        return {str(o.deliverable_id): o.version for o in self.changed + self.conflicts + self.unchanged}

    def base_versions(self):
        """The version each matched row rests on: its file's Version, else this preview's."""
        return {
            str(o.deliverable_id): o.base_version if o.base_version is not None else o.version
            for o in self.changed + self.conflicts + self.unchanged
        }

    def fingerprint(self):
        """A digest of everything the preview shows: equal digests mean the same import."""
        rows = [
            (
                o.action,
                o.reference,
                o.deliverable_id,
                o.version,
                sorted((k, _shown_value(k, v)) for k, v in o.changes.items()),
            )
            for o in self.new + self.changed + self.conflicts + self.unchanged
        ]
        payload = json.dumps(
            [rows, self.new_themes, self.new_objectives, [(e.row, e.column, e.message) for e in self.errors]],
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


_ERROR_HINTS = {
    "max_length": "This is {show_value} characters long; the limit is {limit_value}. Shorten it.",
    "max_digits": "This number has too many digits.",
}


def _messages(error):
    for item in error.error_list if hasattr(error, "error_list") else [error]:
        if item.code in _ERROR_HINTS and item.params:
            try:
                yield _ERROR_HINTS[item.code].format(
                    **{k: f"{v:,}" if isinstance(v, int) else v for k, v in item.params.items()}
                )
                continue
            except (KeyError, ValueError):
                pass
        yield " ".join(item.messages)


def build_preview(*, target, file_name, data, budget=None):
    """Read ``data`` (an upload called ``file_name``) against ``target``: a Preview, or
    FileRejected when the file as a whole cannot be imported (or reading it passes its
    ``Budget``). Reads only. Every check the confirmed import makes on a row is made here."""
    budget = budget or Budget()
    sheet = read_file(file_name, data, budget)
    header_map = map_headers(sheet.headers)
    dataset, numbers = build_dataset(sheet, header_map)
    resource = DeliverableResource(target, row_numbers=numbers, budget=budget)
    # A dry run: the resource's save step only records, and whatever the mapping might write is
    # rolled back. One savepoint for the file rather than the library's two queries a row.
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=False, raise_errors=False, use_transactions=False)
        transaction.set_rollback(True)
    if resource.stopped is not None:
        raise resource.stopped
    if result.base_errors:
        logger.error("Plan import failed: %s", result.base_errors[0].error)
        raise FileRejected(
            "The file could not be read. Check that it is the template's layout, then try again."
        )
    preview = Preview(file_name=file_name, target=target, data=data, ignored_columns=header_map.ignored)
    for outcome in resource.outcomes:
        {
            "new": preview.new,
            "change": preview.changed,
            "conflict": preview.conflicts,
            "unchanged": preview.unchanged,
        }[outcome.action].append(outcome)
    row_values = {i + 1: dict(zip(dataset.headers, values, strict=True)) for i, values in enumerate(dataset)}
    for invalid in result.invalid_rows:
        sheet_row = numbers[invalid.number - 1]
        error = invalid.error
        items = (
            error.error_dict.items()
            if hasattr(error, "error_dict")
            else [(NON_FIELD_ERRORS, error.error_list)]
        )
        for name, errors in items:
            column = FIELD_COLUMNS.get(name, "")
            value = cell_text(row_values[invalid.number].get(column)) if column else ""
            value = CONTROL_CHARACTERS.sub("", value)  # shown as typed, less what a page cannot hold
            for item in errors:
                for message in _messages(item):
                    preview.errors.append(CellError(sheet_row, column, value[:200], message))
    for error_row in result.error_rows:
        for error in error_row.errors:
            logger.error("Plan import row %s: %r", error_row.number, error.error)
            preview.errors.append(
                CellError(
                    numbers[error_row.number - 1], "", "", "This row could not be read. Check its cells."
                )
            )
    preview.errors.sort(key=lambda e: e.row)
    if resource.unmatched_owners:
        names = "; ".join(f"'{name}' (row {row})" for name, row in resource.unmatched_owners.items())
        resource.warnings.append(
            f"These owners are not members of {target.organisation} (or match more than one), so they "
            f"are kept as text and will not see the work in My work: {names}."
        )
    preview.warnings = resource.warnings + [
        f"Row {row}, column {column_letter(index)}: the formula {text} is imported as its text, "
        "not its result."
        for row, index, text in sheet.formulas
    ]
    preview.new_themes = sorted((number, title) for number, (title, _) in resource.new_themes.items())
    preview.new_objectives = resource.new_objectives
    return preview


def preview_lines(preview):
    """The preview as plain text (the import_plan command prints it)."""
    conflicts = f"{len(preview.conflicts)} in conflict, " if preview.conflicts else ""
    lines = [
        f"{preview.file_name}: {len(preview.new)} to add, {len(preview.changed)} to change, "
        f"{conflicts}{len(preview.unchanged)} unchanged, {len(preview.errors)} errors."
    ]
    for number, title in preview.new_themes:
        lines.append(f"  new theme {number}: {title}")
    for number, text in preview.new_objectives:
        lines.append(f"  new objective of theme {number}: {text[:100]}")
    for o in preview.new:
        lines.append(f"  add    row {o.row}  {o.reference}  {o.title[:80]}")
    for o in preview.changed:
        lines.append(f"  change row {o.row}  {o.reference}  {o.title[:80]}")
        for column, before, after in o.shown:
            lines.append(f"           {column}: {before[:60] or '(empty)'} -> {after[:60] or '(empty)'}")
    for o in preview.conflicts:
        who = f" by {o.changed_by}" if o.changed_by else ""
        lines.append(
            f"  CONFLICT row {o.row}  {o.reference}  {o.title[:60]}: changed{who} since version "
            f"{o.base_version} (now {o.version}); applied only with --accept {o.reference}"
        )
        for column, before, after in o.shown:
            lines.append(
                f"           {column}: now {before[:60] or '(empty)'}; the file: {after[:60] or '(empty)'}"
            )
    for e in preview.errors:
        lines.append(f"  ERROR  row {e.row}  {e.column or '-'}  {e.value[:40]!r}: {e.message}")
    for w in preview.warnings:
        lines.append(f"  note   {w}")
    if preview.ignored_columns:
        lines.append(f"  columns read past: {', '.join(preview.ignored_columns)}")
    return lines
