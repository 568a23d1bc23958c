import django_tables2 as tables
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import F, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Concat
from django.utils.html import format_html

from apps.core import exports
from apps.core.exports import BOOLEAN, DATE, INTEGER, ExportColumn
from apps.core.tables import CardTable, badge, card_heading, sort_words

from .models import Assurance, Category, Control, Gap, GapKind, Level, Line, PrincipalRisk, StrategicObjective


def _joined(queryset, value, separator=" | "):
    """One text per principal risk joining ``value`` over ``queryset`` (filtered on the outer
    principal risk): one subquery, not a query per row."""
    return Subquery(
        queryset.order_by()
        .values("principal")
        .annotate(joined=StringAgg(value, separator, order_by="pk"))
        .values("joined")[:1],
        output_field=TextField(),
    )


def _controls():
    return _joined(
        Control.objects.filter(principal_risk=OuterRef("pk")).annotate(principal=F("principal_risk")),
        Concat("description", Value(" ("), "effectiveness", Value(")"), output_field=TextField()),
    )


def _assurances():
    return _joined(
        Assurance.objects.filter(control__principal_risk=OuterRef("pk")).annotate(
            principal=F("control__principal_risk")
        ),
        Concat(
            "description", Value(" ("), "line", Value(", "), "level", Value(")"), output_field=TextField()
        ),
    )


def _gaps(kind):
    return _joined(
        Gap.objects.filter(principal_risk=OuterRef("pk"), kind=kind).annotate(principal=F("principal_risk")),
        F("description"),
    )


def _objectives():
    through = PrincipalRisk.objectives.through
    return _joined(
        through.objects.filter(principalrisk=OuterRef("pk")).annotate(principal=F("principalrisk")),
        Concat(
            "strategicobjective__text",
            "strategicobjective__plan_objective__text",
            "strategicobjective__plan_theme__title",
            output_field=TextField(),
        ),
    )


def _words(choices):
    """Stored choice values, in a joined text, read as their labels."""
    labels = {str(value): str(label) for value, label in choices}

    def transform(value):
        if not value:
            return value
        for key, label in sorted(labels.items(), key=lambda kv: -len(kv[0])):
            value = value.replace(f"({key})", f"({label})").replace(f"({key},", f"({label},")
            value = value.replace(f", {key})", f", {label})")
        return value

    return transform


_category = exports.choice_label(Category.choices)

# The framework as a spreadsheet: one row per principal risk, its controls, assurances and gaps
# joined into cells (each a subquery: one query for the whole export).
PRINCIPAL_RISK_EXPORT = [
    ExportColumn("ID", "pk", INTEGER),
    ExportColumn("Organisation", "risk__organisation__name", width=30),
    ExportColumn("Strategic objectives", _objectives, width=60),
    ExportColumn("Reference", "risk__reference", width=10),
    ExportColumn("Risk", "risk__description", width=60),
    ExportColumn("Category", "category", transform=_category, width=20),
    ExportColumn("Inherent rating", "inherent_rating", INTEGER),
    ExportColumn("Current rating", "current_rating", INTEGER),
    ExportColumn("Target rating", "target_rating", INTEGER),
    ExportColumn("Target date", "target_date", DATE),
    ExportColumn("Tolerance", "tolerance_used", INTEGER),
    ExportColumn("Outside appetite", "outside_appetite", BOOLEAN),
    ExportColumn("Committee", "committee__name", width=24),
    ExportColumn(
        "Key controls",
        _controls,
        transform=_words(Control._meta.get_field("effectiveness").choices),
        width=60,
    ),
    ExportColumn(
        "Assurances",
        _assurances,
        transform=_words([*Line.choices, *Level.choices]),
        width=60,
    ),
    ExportColumn("Gaps in control", lambda: _gaps(GapKind.CONTROL), width=60),
    ExportColumn("Gaps in assurance", lambda: _gaps(GapKind.ASSURANCE), width=60),
]


def appetite_flag(outside):
    """Outside appetite in words and colour (colour is never the only signal)."""
    if outside:
        return badge("band-extreme", "Outside appetite")
    return ""


class PrincipalRiskTable(CardTable):
    """The principal risks beneath an organisation (the roll-up of a LAT, region or the national
    body); exports write the framework (``PRINCIPAL_RISK_EXPORT``)."""

    export_title = "Board Assurance Framework"
    export_columns = PRINCIPAL_RISK_EXPORT

    reference = tables.Column(
        "Ref", accessor="risk__reference", linkify=lambda record: record.get_absolute_url()
    )
    description = tables.Column(
        "Risk",
        accessor="risk__description",
        linkify=lambda record: record.get_absolute_url(),
        attrs={"td": {"class": "card-title"}},
    )
    organisation = tables.Column("Organisation", accessor="risk__organisation__name")
    category = tables.Column("Category", attrs={"td": {"class": "card-more"}})
    inherent_rating = card_heading(
        sort_words(
            tables.Column("Inherent", attrs={"td": {"class": "num"}}), "lowest first", "highest first"
        ),
        "Inherent rating",
    )
    current_rating = card_heading(
        sort_words(tables.Column("Current", attrs={"td": {"class": "num"}}), "lowest first", "highest first"),
        "Current rating",
    )
    target_rating = card_heading(
        sort_words(
            tables.Column("Target", default="Not set", attrs={"td": {"class": "num"}}),
            "lowest first",
            "highest first",
        ),
        "Target rating",
    )
    tolerance_used = sort_words(
        tables.Column("Tolerance", default="—", attrs={"td": {"class": "num"}}),
        "lowest first",
        "highest first",
    )
    outside_appetite = sort_words(
        tables.Column("Appetite", attrs={"td": {"class": "card-flag"}}),
        "within first",
        "outside first",
        whole=True,
    )
    committee = tables.Column("Committee", accessor="committee__name", default="—")

    class Meta:
        model = PrincipalRisk
        fields = (
            "reference",
            "description",
            "organisation",
            "category",
            "inherent_rating",
            "current_rating",
            "target_rating",
            "tolerance_used",
            "outside_appetite",
            "committee",
        )
        sequence = fields
        attrs = {"class": "table", "id": "principal-risk-table"}
        row_attrs = {"id": lambda record: f"principal-risk-{record.pk}"}
        order_by = ("-current_rating",)

    def render_description(self, record):
        return str(record.risk)

    def render_category(self, record):
        return record.get_category_display() or "—"

    def render_outside_appetite(self, record, value):
        if record.tolerance_used is None:
            return "No tolerance set"
        return appetite_flag(value) or "Within"


def objective_label(objective: StrategicObjective) -> str:
    return objective.wording


def level_badge(level):
    css = {
        "significant": "band-low",
        "reasonable": "band-moderate",
        "limited": "band-high",
        "none": "band-extreme",
    }
    return format_html("{}", badge(css.get(level, ""), Level(level).label))
