import django_tables2 as tables
from django.utils.html import format_html

from apps.core.tables import NumberColumn, badge
from apps.reports.models import RiskAsAt

from .models import Band, Risk


def _band_badge(value, rating):
    # Colour and words: the band is always written out, so colour is never the only signal.
    return format_html("{} {}", rating, badge(f"band-{value}", Band(value).label))


class RiskTable(tables.Table):
    reference = tables.Column("Ref", linkify=True)
    description = tables.Column("Risk", linkify=True)
    organisation = tables.Column("Organisation", accessor="organisation__name")
    category = tables.Column("Category")
    severity = NumberColumn("S")
    likelihood = NumberColumn("L")
    rating = tables.Column("Rating", attrs={"td": {"class": "rating"}})
    residual_severity = NumberColumn("Res S")
    residual_likelihood = NumberColumn("Res L")
    residual_rating = tables.Column("Residual rating", attrs={"td": {"class": "residual-rating"}})
    owner = tables.Column("Owner", default="—", order_by=("owner__last_name", "owner__first_name"))
    next_review_on = tables.Column("Next review", default="—")
    status = tables.Column("Status")

    class Meta:
        model = Risk
        fields = (
            "reference",
            "description",
            "organisation",
            "category",
            "severity",
            "likelihood",
            "rating",
            "residual_severity",
            "residual_likelihood",
            "residual_rating",
            "owner",
            "next_review_on",
            "status",
        )
        sequence = fields
        attrs = {"class": "table", "id": "risk-table"}
        row_attrs = {"id": lambda record: f"risk-{record.pk}"}
        order_by = ("-rating",)

    def render_description(self, record, value):
        return str(record)

    def render_rating(self, record):
        return _band_badge(record.band, record.rating)

    def render_residual_rating(self, record):
        return _band_badge(record.residual_band, record.residual_rating)

    def render_next_review_on(self, value):
        return value.strftime("%d/%m/%Y")

    def render_owner(self, value):
        return value.get_full_name() or value.get_username()

    def value_description(self, record):
        return record.description

    def value_rating(self, record):
        return f"{record.rating} {Band(record.band).label}"

    def value_residual_rating(self, record):
        return f"{record.residual_rating} {Band(record.residual_band).label}"

    def value_owner(self, value):
        return (value.get_full_name() or value.get_username()) if value else ""


class AsAtRiskTable(RiskTable):
    """The same table over risks as they stood at a date (``apps.reports.as_at``), rows keyed
    by the risk."""

    class Meta(RiskTable.Meta):
        model = RiskAsAt
        row_attrs = {"id": lambda record: f"risk-{record.id}"}
