import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from apps.core.tables import NumberColumn
from apps.organisations.models import Organisation


class CcgProgressTable(tables.Table):
    """CCGs with OD plans: percentage delivered, overdue and red risks, each linked to its list."""

    name = tables.Column("CCG", linkify=lambda record: reverse("dashboards:organisation", args=[record.slug]))
    lat = tables.Column("Local area team", accessor="parent__name", order_by=("parent__name",))
    deliverable_total = NumberColumn("Deliverables")
    percent_delivered = tables.Column(
        "% delivered",
        empty_values=(),
        order_by=("delivered",),
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    overdue = NumberColumn("Overdue")
    red_risks = NumberColumn("Red (extreme) risks")

    class Meta:
        model = Organisation
        fields = (
            "name",
            "lat",
            "deliverable_total",
            "percent_delivered",
            "overdue",
            "red_risks",
            "red_residual_risks",
        )
        attrs = {"class": "table", "id": "ccg-table"}
        order_by = ("name",)

    def render_percent_delivered(self, record, value):
        url = reverse("plans:deliverable_list") + f"?within={record.pk}&bucket=delivered"
        return format_html(
            '<a href="{}">{}% ({} of {})</a>',
            url,
            round(value, 1),
            record.delivered,
            record.deliverable_total,
        )

    def render_overdue(self, record, value):
        url = reverse("plans:deliverable_list") + f"?within={record.pk}&overdue=true"
        return format_html('<a href="{}">{}</a>', url, value)

    def render_red_risks(self, record, value):
        url = reverse("risks:risk_list") + f"?within={record.pk}&band=extreme&status=open"
        return format_html('<a href="{}">{}</a>', url, value)

    def render_red_residual_risks(self, record, value):
        url = reverse("risks:risk_list") + f"?within={record.pk}&residual_band=extreme&status=open"
        return format_html('<a href="{}">{}</a>', url, value)

    def render_deliverable_total(self, record, value):
        url = reverse("plans:deliverable_list") + f"?within={record.pk}"
        return format_html('<a href="{}">{}</a>', url, value)
