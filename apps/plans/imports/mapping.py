"""The row mapping: each row of the file as a deliverable of the plan (django-import-export's
resource, in a dry run), matched by its reference: a new deliverable, a change (field by field),
a conflict (a row someone else changed since the file was exported or since the preview) or
unchanged. Nothing is saved here: ``service.apply`` saves through the plan services."""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from import_export import fields as ie_fields
from import_export import resources

from apps.core.exports import person_name
from apps.organisations.selectors import people_of

from ..models import AuthorisationDomain, Deliverable, Objective, StatusUpdate, Theme
from .cells import (
    AmountWidget,
    DeadlineWidget,
    DomainsWidget,
    OwnerCell,
    OwnerWidget,
    StatusWidget,
    TextWidget,
    _whole_number,
    cell_text,
    parse_amount,
    parse_reference,
    person_keys,
    reference_label,
)
from .columns import (
    COMMENTS,
    COST_AMOUNT,
    COST_TEXT,
    DEADLINE,
    DEADLINE_TEXT,
    DELIVERED,
    DOMAINS,
    FIELD_COLUMNS,
    IN_PROGRESS,
    METHODS,
    OBJECTIVE,
    OWNER,
    POSITION,
    REFERENCE,
    ROW_FIELDS,
    SOURCE,
    SOURCE_STATUS,
    STATUS,
    SUBHEADING,
    THEME_NUMBER,
    THEME_TITLE,
    TITLE,
    TITLE_MAX_LENGTH,
    VERSION,
    header_key,
)
from .reading import FileRejected, is_blank

# Fields set from the row's reference and theme, not by import_field.
_STRUCTURE = ("theme_number", "theme_title", "objective", "reference", "position", "version")


@dataclass
class Target:
    """What a file is imported into: an organisation and its plan (None: a new plan)."""

    organisation: object
    plan: object = None
    themes: dict = field(default_factory=dict)  # number -> Theme, objectives prefetched
    existing: dict = field(default_factory=dict)  # (theme number, position) -> Deliverable
    domains: dict = field(default_factory=dict)  # number -> AuthorisationDomain
    people: list = field(default_factory=list)
    # Deliverable id -> the version the importer's data rests on (the preview they saw): a row
    # changed since is a conflict even if the file carries no Version column.
    base_versions: dict = field(default_factory=dict)

    @classmethod
    def load(cls, organisation, plan=None, base_versions=None):
        """The plan's themes, deliverables (with who last updated each, and when), domains and
        people: five queries whatever the size."""
        target = cls(organisation=organisation, plan=plan, base_versions=dict(base_versions or {}))
        if plan is not None:
            themes = Theme.objects.filter(plan=plan).prefetch_related("objectives")
            target.themes = {t.number: t for t in themes}
            latest = StatusUpdate.objects.filter(deliverable=OuterRef("pk")).order_by("-created_at", "-pk")
            deliverables = (
                Deliverable.objects.filter(theme__plan=plan)
                .select_related("theme", "owner")
                .prefetch_related("domains")
                .annotate(
                    last_update_at=Subquery(latest.values("created_at")[:1]),
                    last_update_by=Subquery(
                        latest.annotate(who=person_name("created_by__")).values("who")[:1]
                    ),
                )
            )
            target.existing = {(d.theme.number, d.position): d for d in deliverables}
        target.domains = {d.number: d for d in AuthorisationDomain.objects.all()}
        target.people = list(people_of(organisation))
        return target


@dataclass
class RowOutcome:
    """One valid row: what it adds or changes."""

    row: int
    reference: str
    title: str
    action: str  # "new", "change", "conflict", "unchanged"
    theme_number: int = 0
    deliverable_id: int | None = None
    version: int | None = None  # the deliverable's version now, as previewed
    base_version: int | None = None  # the version the row rests on (file or earlier preview)
    changed_by: str = ""  # conflict: who last updated the deliverable, and when
    changed_at: object = None
    values: dict = field(default_factory=dict)  # new: every ROW_FIELDS value and position
    changes: dict = field(default_factory=dict)  # change: field -> new value
    domains: list | None = None
    shown: list = field(default_factory=list)  # (column, before, after) for the preview


@dataclass
class CellError:
    row: int
    column: str
    value: str
    message: str


def _shown_value(name, value):
    if value is None or value == "":
        return ""
    if name == "owner":
        return value.get_full_name() or value.get_username()
    if name == "status":
        return Deliverable.Status(value).label
    if name == "domains":
        return "; ".join(str(d.number) for d in value)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


class DeliverableResource(resources.ModelResource):
    """One row of an OD plan spreadsheet, as a deliverable of ``target.plan``.

    Rows are matched to the plan's deliverables by reference; a reference the plan does not have
    is a new deliverable, in an existing theme or a new one. ``save_instance`` records the row's
    outcome (``self.outcomes``) instead of saving: ``apply`` saves through the services."""

    theme_number = ie_fields.Field(attribute="theme_number", column_name=THEME_NUMBER)
    theme_title = ie_fields.Field(attribute="theme_title", column_name=THEME_TITLE, widget=TextWidget(300))
    objective = ie_fields.Field(attribute="objective", column_name=OBJECTIVE, widget=TextWidget())
    reference = ie_fields.Field(attribute="reference", column_name=REFERENCE)
    position = ie_fields.Field(attribute="position", column_name=POSITION)
    subheading = ie_fields.Field(attribute="subheading", column_name=SUBHEADING, widget=TextWidget())
    title = ie_fields.Field(
        attribute="title", column_name=TITLE, widget=TextWidget(TITLE_MAX_LENGTH, required=True)
    )
    owner = ie_fields.Field(attribute="owner", column_name=OWNER)
    deadline = ie_fields.Field(attribute="deadline", column_name=DEADLINE, widget=DeadlineWidget())
    deadline_text = ie_fields.Field(attribute="deadline_text", column_name=DEADLINE_TEXT, widget=TextWidget())
    cost_amount = ie_fields.Field(attribute="cost_amount", column_name=COST_AMOUNT, widget=AmountWidget())
    cost_text = ie_fields.Field(attribute="cost_text", column_name=COST_TEXT, widget=TextWidget())
    domains = ie_fields.Field(attribute="domains", column_name=DOMAINS)
    status = ie_fields.Field(
        attribute="status", column_name=STATUS, widget=StatusWidget(), saves_null_values=False
    )
    source_status = ie_fields.Field(attribute="source_status", column_name=SOURCE_STATUS, widget=TextWidget())
    delivered_narrative = ie_fields.Field(
        attribute="delivered_narrative", column_name=DELIVERED, widget=TextWidget()
    )
    in_progress_narrative = ie_fields.Field(
        attribute="in_progress_narrative", column_name=IN_PROGRESS, widget=TextWidget()
    )
    methods = ie_fields.Field(attribute="methods", column_name=METHODS, widget=TextWidget())
    source = ie_fields.Field(attribute="source", column_name=SOURCE, widget=TextWidget())
    comments = ie_fields.Field(attribute="comments", column_name=COMMENTS, widget=TextWidget())

    class Meta:
        model = Deliverable
        fields = (
            "theme_number",
            "theme_title",
            "objective",
            "reference",
            "position",
            "subheading",
            "title",
            "owner",
            "deadline",
            "deadline_text",
            "cost_amount",
            "cost_text",
            "domains",
            "status",
            "source_status",
            "delivered_narrative",
            "in_progress_narrative",
            "methods",
            "source",
            "comments",
        )
        skip_diff = True  # the outcome is worked out against the loaded plan (self.target)
        skip_html_diff = True
        report_skipped = True

    def __init__(self, target, row_numbers=None, budget=None):
        super().__init__()
        self.target = target
        self.budget = budget
        self.stopped = None
        self.row_numbers = row_numbers or []
        self.fields["owner"].widget = OwnerWidget(target.people)
        self.fields["domains"].widget = DomainsWidget(target.domains)
        self.outcomes = []
        self.warnings = []
        self.new_themes = {}  # number -> (title, first row)
        self.new_objectives = []  # (theme number, text)
        self._seen = {}  # reference -> sheet row
        self._theme_warned = set()
        self.unmatched_owners = {}  # owner text -> first row
        self._row = 0

    # --- the row's reference and theme ---------------------------------------------------------
    def before_import_row(self, row, **kwargs):
        if self.stopped is not None:
            raise self.stopped
        if self.budget is not None:
            try:
                self.budget.check_time()  # the preview's time budget covers the mapping too
            except FileRejected as exc:
                self.stopped = exc  # build_preview raises it once the library has given up
                raise
        number = kwargs.get("row_number", 0)
        self._row = self.row_numbers[number - 1] if 0 < number <= len(self.row_numbers) else number

    def _reference(self, row):
        errors = {}
        ref = None
        if REFERENCE in row:
            try:
                ref = parse_reference(row[REFERENCE])
            except ValueError as exc:
                errors["reference"] = str(exc)
        else:
            fix = "Write the theme's number (e.g. 1) and the position in the theme (e.g. 4)."
            numbers = {}
            for key, name, what in (
                ("theme_number", THEME_NUMBER, "The theme number"),
                ("position", POSITION, "The position"),
            ):
                try:
                    numbers[key] = _whole_number(row[name], what, fix)
                except ValueError as exc:
                    errors[key] = str(exc)
            if not errors:
                ref = (numbers["theme_number"], numbers["position"])
        if ref and REFERENCE in row and THEME_NUMBER in row and not is_blank(row[THEME_NUMBER]):
            try:
                number = _whole_number(row[THEME_NUMBER], "The theme number", "")
            except ValueError as exc:
                errors["theme_number"] = str(exc)
            else:
                if number != ref[0]:
                    errors["theme_number"] = (
                        f"The reference {reference_label(ref)} is in theme {ref[0]}, but this says theme "
                        f"{number}. Make the two agree."
                    )
        if errors:
            raise ValidationError(errors)
        return ref

    def _theme(self, number, row):
        """The plan's theme ``number``, or a new (unsaved) one titled from the row."""
        title = cell_text(row.get(THEME_TITLE))
        title = re.sub(rf"^{number}\s*[.:)]\s*", "", title)  # "1. Governance" as the list shows it
        theme = self.target.themes.get(number)
        if theme is not None:
            if title and header_key(title) != header_key(theme.title) and number not in self._theme_warned:
                self._theme_warned.add(number)
                self.warnings.append(
                    f"Row {self._row}: theme {number} keeps its title '{theme.title}'; the file's "
                    f"'{title}' is not applied (an administrator can rename a theme)."
                )
            return theme
        try:  # the checks theme_add makes when the import is confirmed
            Theme(plan=self.target.plan, number=number, title=title).clean_fields(
                exclude=["plan", "description"]
            )
        except ValidationError as exc:
            if "title" in exc.message_dict and title:
                raise ValidationError({"theme_title": exc.message_dict["title"]}) from exc
        if number in self.new_themes:
            first_title, first_row = self.new_themes[number]
            if title and header_key(title) != header_key(first_title):
                raise ValidationError(
                    {
                        "theme_title": f"Theme {number} is called '{first_title}' in row {first_row}. "
                        "Give every row of a theme the same title."
                    }
                )
            return Theme(plan=self.target.plan, number=number, title=first_title)
        if not title:
            raise ValidationError(
                {
                    "theme_title": f"The plan has no theme {number} yet. Give its title in the column "
                    f"'{THEME_TITLE}' to add it, or correct the reference."
                }
            )
        self.new_themes[number] = (title, self._row)
        return Theme(plan=self.target.plan, number=number, title=title)

    def _objective(self, theme, row):
        text = cell_text(row.get(OBJECTIVE))
        if not text:
            return
        known = {header_key(o.text) for o in theme.objectives.all()} if theme.pk else set()
        new = {header_key(t) for n, t in self.new_objectives if n == theme.number}
        if header_key(text) not in known | new:
            try:  # the checks objective_add makes when the import is confirmed
                Objective(text=text, position=1).clean_fields(exclude=["theme"])
            except ValidationError as exc:
                raise ValidationError({"objective": exc.message_dict.get("text", exc.messages)}) from exc
            self.new_objectives.append((theme.number, text))

    def get_or_init_instance(self, instance_loader, row):
        ref = self._reference(row)
        label = reference_label(ref)
        if ref in self._seen:
            raise ValidationError(
                {
                    "reference": f"The reference {label} is also in row {self._seen[ref]}. Each reference "
                    "may appear once: give this row another reference, or merge the two rows."
                }
            )
        self._seen[ref] = self._row
        existing = self.target.existing.get(ref)
        if existing is not None and existing.archived_at is not None:
            raise ValidationError(
                {
                    "reference": f"Deliverable {label} of the plan is archived, so an import does not change "
                    "it. Ask an administrator to restore it, or give this row another reference."
                }
            )
        base_version = self._base_version(row, existing)
        theme = self._theme(ref[0], row)  # the plan's theme (objectives loaded), or a new one
        self._objective(theme, row)
        if existing:
            # A copy: the row's cells are set on it, the loaded original stays as it was.
            instance = Deliverable(
                **{
                    f.attname: getattr(existing, f.attname)
                    for f in Deliverable._meta.concrete_fields
                    if not f.generated
                }
            )
            instance.theme = existing.theme
            instance.owner = existing.owner
            # The row's key and the loaded original ride on the instance through
            # django-import-export's save steps (which hand on only the instance).
            instance._import_ref, instance._import_original = ref, existing  # type: ignore[attr-defined]
            instance._import_base_version = base_version  # type: ignore[attr-defined]
            return instance, False
        instance = Deliverable(theme=theme, position=ref[1])
        instance._import_ref, instance._import_original = ref, None  # type: ignore[attr-defined]
        return instance, True

    def _base_version(self, row, existing):
        """The version of ``existing`` the row rests on: the file's Version cell (the export
        wrote it) or the version the importer's earlier preview showed, the older of the two."""
        versions = []
        if existing is not None and existing.pk in self.target.base_versions:
            versions.append(int(self.target.base_versions[existing.pk]))
        if VERSION in row and not is_blank(row[VERSION]):
            text = cell_text(row[VERSION])
            if not re.fullmatch(r"[1-9]\d{0,8}", text.removesuffix(".0")):
                raise ValidationError(
                    {
                        "version": f"'{text}' is not a version. Leave the Version column as the "
                        "export wrote it."
                    }
                )
            versions.append(int(text.removesuffix(".0")))
        return min(versions) if versions else None

    # --- the row's cells ---------------------------------------------------------------------
    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        name = field.attribute
        if name in _STRUCTURE or field.column_name not in row:
            return
        if name == "owner":
            cell = field.clean(row)
            original = instance._import_original
            if (
                original
                and original.owner
                and cell.text
                and header_key(cell.text) in person_keys(original.owner)
            ):
                cell = OwnerCell(original.owner, cell.text)  # the current owner, whoever they are
            instance.owner = cell.user
            instance.owner_text = "" if cell.user else cell.text
            if cell.text and not cell.user:
                self.unmatched_owners.setdefault(cell.text, self._row)
        elif name == "deadline":
            cell = field.clean(row)
            instance.deadline = cell.date
            instance._deadline_words = cell.text
        elif name == "domains":
            instance._import_domains = field.clean(row)
        else:
            super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            # Deadline words fill the source's wording when the file gives none; a cost written
            # as an amount alone ("£10K") fills the amount when the file gives none.
            words = getattr(instance, "_deadline_words", None)
            if words is not None and is_blank(row.get(DEADLINE_TEXT)):
                instance.deadline_text = words
            if COST_TEXT in row and is_blank(row.get(COST_AMOUNT)):
                instance.cost_amount = parse_amount(instance.cost_text) if instance.cost_text else None

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        exclude = set(errors) | {"theme", "domains", "version"}
        try:
            # Field checks only: the service's full_clean checks the constraints under the lock.
            instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _changes(self, instance):
        original = instance._import_original
        changes, shown = {}, []
        for name in ROW_FIELDS:
            before, after = getattr(original, name), getattr(instance, name)
            if name == "owner":
                before, after = original.owner_id, instance.owner_id
            if before != after:
                changes[name] = getattr(instance, name)
                shown.append(
                    (
                        FIELD_COLUMNS[name],
                        _shown_value(name, getattr(original, name)),
                        _shown_value(name, changes[name]),
                    )
                )
        domains = getattr(instance, "_import_domains", None)
        if domains is not None:
            before = sorted(d.number for d in original.domains.all())
            if before != sorted(d.number for d in domains):
                changes["domains"] = domains
                shown.append((DOMAINS, "; ".join(map(str, before)), _shown_value("domains", domains)))
        return changes, shown

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance._import_original is None:
            return False
        instance._import_changes = self._changes(instance)
        if instance._import_changes[0]:
            return False
        self._record(instance, "unchanged")
        return True

    def save_instance(self, instance, is_create, row, **kwargs):
        """Record what the row adds or changes; ``apply`` saves it through the services. A change
        of a deliverable someone else saved since the version the row rests on is a conflict."""
        if is_create:
            self._record(instance, "new")
            return
        base = instance._import_base_version
        conflict = base is not None and base != instance._import_original.version
        self._record(instance, "conflict" if conflict else "change")

    def save_m2m(self, instance, row, **kwargs):
        pass  # domains are set by the services

    def _record(self, instance, action):
        ref = instance._import_ref
        outcome = RowOutcome(
            row=self._row,
            reference=reference_label(ref),
            title=instance.title,
            action=action,
            theme_number=ref[0],
        )
        if action == "new":
            outcome.values = {name: getattr(instance, name) for name in ROW_FIELDS}
            outcome.values["position"] = ref[1]
            outcome.domains = getattr(instance, "_import_domains", None) or []
        else:
            original = instance._import_original
            outcome.deliverable_id, outcome.version = original.pk, original.version
            outcome.base_version = getattr(instance, "_import_base_version", None)
            if action in ("change", "conflict"):
                outcome.changes, outcome.shown = instance._import_changes
            if action == "conflict":
                outcome.changed_by = getattr(original, "last_update_by", "") or ""
                outcome.changed_at = getattr(original, "last_update_at", None)
        self.outcomes.append(outcome)
