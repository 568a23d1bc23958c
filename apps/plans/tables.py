import django_tables2 as tables
from django.middleware.csrf import get_token
from django.utils.html import format_html

from apps.core.tables import NumberColumn, badge
from apps.reports.models import DeliverableAsAt

from .models import Deliverable
from .widgets import overdue_cell, status_cell


class DeliverableTable(tables.Table):
    """Deliverables and actions across the plans a user may see. Staff of the owning
    organisation get an in-place status control in the status column (HTMX)."""

    title = tables.Column("Deliverable / action", linkify=True)
    organisation = tables.Column(
        "Organisation",
        accessor="theme__plan__organisation__name",
        order_by=("theme__plan__organisation__name",),
    )
    theme = tables.Column(
        "Theme / priority area",
        accessor="theme",
        order_by=("theme__plan__title", "theme__number", "position"),
    )
    status = tables.Column("Status", order_by=("status",))
    deadline = tables.Column("Deadline", default="—")
    is_overdue = tables.Column(verbose_name="Overdue")
    owner = tables.Column("Owner", default="—", order_by=("owner__last_name", "owner__first_name"))
    domains = tables.ManyToManyColumn(
        verbose_name="Domains", transform=lambda d: str(d.number), separator=", ", orderable=False
    )
    cost_text = tables.Column("Cost", default="")
    cost_amount = NumberColumn("Cost (£)", decimals=0, default="")

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

    def render_title(self, record, value):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), str(record))

    def render_owner(self, value):
        return value.get_full_name() or value.get_username()

    def render_is_overdue(self, record):
        # The id lets an in-place status change refresh this cell too (hx-swap-oob).
        return overdue_cell(record)

    def render_deadline(self, value):
        return value.strftime("%d/%m/%Y")

    def render_status(self, record):
        if record.theme.plan.organisation_id in self.editable_org_ids:
            return status_cell(record, csrf_token=self.csrf_token, next_url=self.next_url)
        return badge(f"status-{record.status}", record.get_status_display())

    def value_status(self, record):
        return record.get_status_display()

    def value_title(self, record):
        return record.title

    def value_owner(self, value):
        return value.get_full_name() or value.get_username() if value else ""

    def value_is_overdue(self, value):
        return "Yes" if value else "No"


class AsAtDeliverableTable(DeliverableTable):
    """The same table over deliverables as they stood at a date (``apps.reports.as_at``): no
    status control, rows keyed by the deliverable, its domains as they are now."""

    title = tables.Column("Deliverable / action")  # render_title links it (a deleted one: not)
    domains = tables.ManyToManyColumn(
        verbose_name="Domains",
        accessor="pgh_obj__domains",
        transform=lambda d: str(d.number),
        separator=", ",
        orderable=False,
    )

    class Meta(DeliverableTable.Meta):
        model = DeliverableAsAt
        row_attrs = {"id": lambda record: f"deliverable-{record.id}"}

    def render_title(self, record, value):
        if record.deleted_since:  # pgh_obj is prefetched with the domains: no query
            return format_html('{} <span class="small muted">(since deleted)</span>', str(record))
        return super().render_title(record, value)

    def render_status(self, record):
        return badge(f"status-{record.status}", record.get_status_display())
