from functools import partial
from typing import TYPE_CHECKING

import django_tables2 as tables
from django.db.models import OuterRef
from django.middleware.csrf import get_token
from django.utils.html import format_html

from apps.core import exports
from apps.core.exports import BOOLEAN, DATETIME, INTEGER, ExportColumn
from apps.core.tables import CardTable, NumberColumn, badge, sort_words

from .imports.columns import EVIDENCE, EXPORT, evidence_source, note_columns, overdue
from .models import Deliverable, DeliverableAsAt, StatusUpdate
from .widgets import overdue_cell, status_cell

if TYPE_CHECKING:
    from apps.core.history.as_at import AsAt


# The full record, as the deliverable's page shows it (templates/plans/deliverable_detail.html),
# with the row's version: the columns shared with the plan import and its template
# (apps/plans/imports/columns.py), so that an export imports as it is.
DELIVERABLE_EXPORT = EXPORT


class DeliverableTable(CardTable):
    """Deliverables and actions across the plans a user may see. Staff of the owning
    organisation get an in-place status control in the status column (HTMX). Exports write
    ``export_columns``, the full record, rather than these columns. On a phone each row is a
    card: the title, the overdue flag, the status with its control, deadline and owner, then the
    rest."""

    export_title = "Deliverables"
    export_columns = DELIVERABLE_EXPORT

    # render_title draws the link; linkify as well would nest a second, empty link around it.
    title = tables.Column("Deliverable / action")
    organisation = tables.Column(
        "Organisation",
        accessor="theme__plan__organisation__name",
        order_by=("theme__plan__organisation__name",),
        attrs={"td": {"class": "card-more"}},
    )
    theme = sort_words(
        tables.Column(
            "Theme / priority area",
            accessor="theme",
            order_by=("theme__plan__title", "theme__number", "position"),
            attrs={"td": {"class": "card-more"}},
        ),
        "Plan order",
        "Plan order, last first",
        whole=True,
    )
    status = tables.Column("Status", order_by=("status",), attrs={"td": {"class": "card-full"}})
    deadline = tables.Column("Deadline", default="—")
    is_overdue = sort_words(
        tables.Column(verbose_name="Overdue", attrs={"td": {"class": "card-flag"}}),
        "Overdue last",
        "Overdue first",
        whole=True,
    )
    owner = tables.Column(
        "Owner", empty_values=(), order_by=("owner__last_name", "owner__first_name", "owner_text")
    )
    domains = tables.ManyToManyColumn(
        verbose_name="Domains",
        transform=lambda d: str(d.number),
        separator=", ",
        orderable=False,
        attrs={"td": {"class": "card-more"}},
    )
    cost_text = tables.Column("Cost", default="", attrs={"td": {"class": "card-more"}})
    cost_amount = NumberColumn("Cost (£)", decimals=0, default="", attrs={"td": {"class": "num card-more"}})

    class Meta:
        model = Deliverable
        fields = (
            "title",
            "organisation",
            "theme",
            "status",
            "deadline",
            "is_overdue",
            "owner",
            "domains",
            "cost_text",
            "cost_amount",
        )
        sequence = fields
        attrs = {"class": "table", "id": "deliverable-table"}
        row_attrs = {"id": lambda record: f"deliverable-{record.pk}"}
        order_by = ("theme",)

    def __init__(self, *args, editable_org_ids=frozenset(), request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editable_org_ids = editable_org_ids
        self.csrf_token = get_token(request) if request and editable_org_ids else ""
        self.next_url = request.get_full_path() if request else ""

    def fragment_key(self):
        # What the cached HTML (render_table_fresh) depends on beyond the rows and the address.
        return tuple(sorted(self.editable_org_ids))

    def render_title(self, record, value):
        # The whole title, wrapping in its column: a cut title ("...") hides what the row is.
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.title)

    def render_owner(self, record):
        # The member who owns it, else the owner as the source names them.
        if record.owner:
            return record.owner.get_full_name() or record.owner.get_username()
        return record.owner_text or "—"

    def render_is_overdue(self, record):
        # The id lets an in-place status change refresh this cell too (hx-swap-oob).
        return overdue_cell(record)

    def render_deadline(self, value):
        return value.strftime("%d/%m/%Y")

    def render_status(self, record):
        if record.theme.plan.organisation_id in self.editable_org_ids:
            return status_cell(record, csrf_token=self.csrf_token, next_url=self.next_url)
        return badge(f"status-{record.status}", record.get_status_display())


class AsAtDeliverableTable(DeliverableTable):
    """The same table over deliverables as they stood at a date (``apps.core.history.as_at``): no
    status control, rows keyed by the deliverable, its domains as they are now."""

    title = tables.Column("Deliverable / action")  # render_title links it (a deleted one: not)
    domains = tables.ManyToManyColumn(
        verbose_name="Domains",
        accessor="pgh_obj__domains",
        transform=lambda d: str(d.number),
        separator=", ",
        orderable=False,
        attrs={"td": {"class": "card-more"}},
    )

    class Meta(DeliverableTable.Meta):
        model = DeliverableAsAt
        row_attrs = {"id": lambda record: f"deliverable-{record.id}"}

    def render_title(self, record, value):
        # pgh_obj is prefetched with the domains: no query. A deliverable deleted or archived
        # since has no page to link to.
        if record.deleted_since:
            return format_html('{} <span class="small muted">(since deleted)</span>', str(record))
        if record.archived_since:
            return format_html('{} <span class="small muted">(since archived)</span>', str(record))
        return super().render_title(record, value)

    def render_status(self, record):
        return badge(f"status-{record.status}", record.get_status_display())

    @classmethod
    def as_at_export_columns(cls, as_at: "AsAt") -> list[ExportColumn]:
        """The full record as it stood at ``as_at`` (the rows are its audit events, whose pk is
        the event's): the deliverable's own ID, overdue judged on the day, its latest update up
        to the moment; its domains as they are now (the audit trail does not record them)."""
        updates = StatusUpdate.objects.filter(
            deliverable=OuterRef("id"), created_at__lte=as_at.moment
        ).order_by("-created_at", "-pk")
        replaced = {
            "ID": ExportColumn("ID", "id", INTEGER),
            "Authorisation domains": ExportColumn(
                "Authorisation domains", exports.joined(Deliverable, "domains", "number", outer="id")
            ),
            "Overdue": ExportColumn("Overdue", partial(overdue, as_at.day), BOOLEAN),
            "Last update": ExportColumn("Last update", exports.latest(updates, "created_at"), DATETIME),
            "Last update by": ExportColumn(
                "Last update by", exports.latest(updates, exports.person_name("created_by__"))
            ),
            **{column.header: column for column in note_columns(updates.exclude(note=""))},
            EVIDENCE: ExportColumn(EVIDENCE, partial(evidence_source, "id"), width=60),
        }
        return [replaced.get(column.header, column) for column in cls.export_columns]
