import django_tables2 as tables
from django.middleware.csrf import get_token
from django.utils.html import format_html

from apps.core.tables import NumberColumn, badge

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
    owner = tables.Column(
        "Owner", empty_values=(), order_by=("owner__last_name", "owner__first_name", "owner_text")
    )
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

    def value_status(self, record):
        return record.get_status_display()

    def value_title(self, record):
        return record.title

    def value_owner(self, record):
        if record.owner:
            return record.owner.get_full_name() or record.owner.get_username()
        return record.owner_text

    def value_is_overdue(self, value):
        return "Yes" if value else "No"
