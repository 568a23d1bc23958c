from functools import partial
from typing import TYPE_CHECKING

import django_tables2 as tables
from django.db.models import BooleanField, Case, OuterRef, Q, TextField, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.html import format_html

from apps.core import exports
from apps.core.exports import BOOLEAN, DATE, DATETIME, INTEGER, ExportColumn
from apps.core.tables import CardTable, NumberColumn, badge, card_heading, sort_words

from .models import Band, Risk, RiskAsAt, RiskReview

if TYPE_CHECKING:
    from apps.core.history.as_at import AsAt


def _band_badge(value, rating):
    # Colour and words: the band is always written out, so colour is never the only signal.
    return format_html("{} {}", rating, badge(f"band-{value}", Band(value).label))


def _review_overdue(today=None):
    # As Risk.review_overdue: an open risk whose next review date has passed (today or on ``today``).
    return Case(
        When(Q(next_review_on__lt=today or timezone.localdate(), status=Risk.Status.OPEN), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


_LATEST_REVIEW = RiskReview.objects.filter(risk=OuterRef("pk")).order_by("-created_at", "-pk")
_band_label = exports.choice_label(Band.choices)

# The full record, as the risk's page shows it (templates/risks/risk_detail.html). The ratings
# and bands are the list queryset's annotations (Risk.objects.with_ratings).
RISK_EXPORT = [
    ExportColumn("ID", "pk", INTEGER),
    ExportColumn("Organisation", "organisation__name", width=30),
    ExportColumn("Reference", "reference", width=10),
    ExportColumn("Category", "category", width=26),
    ExportColumn("Plan", "plan__title", width=30),
    ExportColumn("Risk", "description", width=60),
    ExportColumn("Severity", "severity", INTEGER),
    ExportColumn("Likelihood", "likelihood", INTEGER),
    ExportColumn("Rating", "rating", INTEGER),
    ExportColumn("Band", "band", transform=_band_label, width=10),
    ExportColumn("Mitigation and controls", "mitigation", width=60),
    ExportColumn("Residual severity", "residual_severity", INTEGER),
    ExportColumn("Residual likelihood", "residual_likelihood", INTEGER),
    ExportColumn("Residual rating", "residual_rating", INTEGER),
    ExportColumn("Residual band", "residual_band", transform=_band_label),
    # The member who owns it, else the owner as the source names them (as the table shows it).
    ExportColumn(
        "Owner",
        Coalesce(exports.person_name("owner__"), NullIf("owner_text", Value("")), output_field=TextField()),
    ),
    ExportColumn("Next review", "next_review_on", DATE),
    ExportColumn("Review overdue", _review_overdue, BOOLEAN),
    ExportColumn("Status", "status", transform=exports.choice_label(Risk.Status.choices), width=10),
    # A principal risk of the Board Assurance Framework above its tolerance (the framework's rule).
    ExportColumn("Outside appetite", lambda: _outside_appetite(), BOOLEAN),
    ExportColumn("Authorisation domains", exports.joined(Risk, "domains", "number")),
    ExportColumn("Last review", exports.latest(_LATEST_REVIEW, "created_at"), DATETIME),
    ExportColumn("Last reviewed by", exports.latest(_LATEST_REVIEW, exports.person_name("reviewed_by__"))),
    ExportColumn("Source note", "source_note", width=40),
    ExportColumn("Evidence", lambda: _evidence(), width=60),
]


def _evidence(outer="pk"):
    # The evidence app's column (its titles and addresses), imported when an export runs.
    from apps.evidence.columns import evidence_titles

    return evidence_titles("risk", outer)


def _outside_appetite():
    from apps.assurance.models import risk_outside_appetite

    return risk_outside_appetite()


class RiskTable(CardTable):
    """The risk register. Exports write ``export_columns``, the full record. On a phone each risk
    is a card: its reference and description, ratings, status, review date and owner, then the
    scores and the rest."""

    export_title = "Risk register"
    export_columns = RISK_EXPORT

    reference = tables.Column("Ref", linkify=True)
    description = tables.Column("Risk", linkify=True, attrs={"td": {"class": "card-title"}})
    organisation = tables.Column(
        "Organisation", accessor="organisation__name", attrs={"td": {"class": "card-more"}}
    )
    category = tables.Column("Category", attrs={"td": {"class": "card-more"}})
    severity = card_heading(NumberColumn("S", attrs={"td": {"class": "num card-more"}}), "Severity")
    likelihood = card_heading(NumberColumn("L", attrs={"td": {"class": "num card-more"}}), "Likelihood")
    rating = sort_words(
        tables.Column("Rating", attrs={"td": {"class": "rating"}}), "lowest first", "highest first"
    )
    residual_severity = card_heading(
        NumberColumn("Res S", attrs={"td": {"class": "num card-more"}}), "Residual severity"
    )
    residual_likelihood = card_heading(
        NumberColumn("Res L", attrs={"td": {"class": "num card-more"}}), "Residual likelihood"
    )
    residual_rating = sort_words(
        tables.Column("Residual rating", attrs={"td": {"class": "residual-rating"}}),
        "lowest first",
        "highest first",
    )
    owner = tables.Column(
        "Owner", empty_values=(), order_by=("owner__last_name", "owner__first_name", "owner_text")
    )
    next_review_on = tables.Column("Next review", default="—")
    outside_appetite = tables.Column(
        "Appetite", empty_values=(), attrs={"td": {"class": "card-flag"}}, orderable=False
    )
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
            "outside_appetite",
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

    def render_outside_appetite(self, record):
        # A principal risk above its tolerance (the list's annotation, RiskQuerySet.with_outside_appetite).
        return (
            badge("band-extreme", "Outside appetite") if getattr(record, "outside_appetite", False) else "—"
        )

    def render_owner(self, record):
        # The member who owns it, else the owner as the source names them.
        if record.owner:
            return record.owner.get_full_name() or record.owner.get_username()
        return record.owner_text or "—"


class AsAtRiskTable(RiskTable):
    """The same table over risks as they stood at a date (``apps.core.history.as_at``), rows keyed
    by the risk."""

    class Meta(RiskTable.Meta):
        model = RiskAsAt
        # Outside appetite as it stood is the framework's page as at the date, not the register's.
        exclude = ("outside_appetite",)
        row_attrs = {"id": lambda record: f"risk-{record.id}"}

    @classmethod
    def as_at_export_columns(cls, as_at: "AsAt") -> list[ExportColumn]:
        """The full record as it stood at ``as_at`` (the rows are its audit events, whose pk is
        the event's): the risk's own ID, review overdue judged on the day, its latest review up
        to the moment; its domains as they are now (the audit trail does not record them)."""
        reviews = RiskReview.objects.filter(risk=OuterRef("id"), created_at__lte=as_at.moment).order_by(
            "-created_at", "-pk"
        )
        replaced = {
            "ID": ExportColumn("ID", "id", INTEGER),
            "Review overdue": ExportColumn("Review overdue", partial(_review_overdue, as_at.day), BOOLEAN),
            "Authorisation domains": ExportColumn(
                "Authorisation domains", exports.joined(Risk, "domains", "number", outer="id")
            ),
            "Last review": ExportColumn("Last review", exports.latest(reviews, "created_at"), DATETIME),
            "Last reviewed by": ExportColumn(
                "Last reviewed by", exports.latest(reviews, exports.person_name("reviewed_by__"))
            ),
            "Evidence": ExportColumn("Evidence", partial(_evidence, "id"), width=60),
        }
        return [
            replaced.get(column.header, column)
            for column in cls.export_columns
            if column.header != "Outside appetite"
        ]
