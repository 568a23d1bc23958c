import django_tables2 as tables
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Case, Count, OuterRef, Subquery, TextField, Value, When
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.html import format_html

from apps.core import exports
from apps.core.exports import BOOLEAN, DATE, DATETIME, INTEGER, ExportColumn
from apps.core.tables import CardTable, badge, sort_words

from .models import EvidenceItem, EvidenceLink, EvidenceRevision, expired_q


def supports_text(outer: str = "pk"):
    """What an item supports, as one line per link ("Deliverable: ...; Risk R2: ...; Key control
    of risk R2: ...; Assurance of risk R2: ..."): one
    subquery for the export, whatever the number of rows."""
    label = Case(
        When(
            deliverable__isnull=False,
            then=Concat(Value("Deliverable: "), "deliverable__title", output_field=TextField()),
        ),
        When(
            risk__isnull=False,
            then=Concat(
                Value("Risk "), "risk__reference", Value(": "), "risk__description", output_field=TextField()
            ),
        ),
        When(
            assessment_score__isnull=False,
            then=Concat(
                Value("Self-assessment: "), "assessment_score__domain__name", output_field=TextField()
            ),
        ),
        When(
            control__isnull=False,
            then=Concat(
                Value("Key control of risk "),
                "control__principal_risk__risk__reference",
                Value(": "),
                "control__description",
                output_field=TextField(),
            ),
        ),
        When(
            assurance__isnull=False,
            then=Concat(
                Value("Assurance of risk "),
                "assurance__control__principal_risk__risk__reference",
                Value(": "),
                "assurance__description",
                output_field=TextField(),
            ),
        ),
        default=Value(""),
        output_field=TextField(),
    )
    rows = (
        EvidenceLink.objects.filter(item=OuterRef(outer), removed_at__isnull=True)
        .order_by()
        .values("item")
        .annotate(text=StringAgg(label, "; ", order_by="pk"))
        .values("text")
    )
    return Subquery(rows, output_field=TextField())


def _expired():
    return Case(When(expired_q(), then=Value(True)), default=Value(False))


_LATEST = EvidenceRevision.objects.filter(item=OuterRef("pk")).order_by("-number")
_COUNT = (
    EvidenceRevision.objects.filter(item=OuterRef("pk")).order_by().values("item").annotate(n=Count("pk"))
)

EVIDENCE_EXPORT = [
    ExportColumn("ID", "pk", INTEGER),
    ExportColumn("Organisation", "organisation__name", width=30),
    ExportColumn("Title", "title", width=40),
    ExportColumn("File or link", "kind", transform=exports.choice_label(EvidenceItem.Kind.choices)),
    ExportColumn("Address", "url", width=40),
    ExportColumn("Date it speaks for", "speaks_for", DATE),
    ExportColumn("Review or expiry date", "review_on", DATE),
    ExportColumn("Past its review date", _expired, BOOLEAN),
    ExportColumn("Supports", supports_text, width=60),
    ExportColumn("Latest file", exports.latest(_LATEST, "original_name"), width=30),
    ExportColumn("Latest file's SHA-256", exports.latest(_LATEST, "sha256"), width=64),
    ExportColumn("Latest file's size (bytes)", exports.latest(_LATEST, "size"), INTEGER),
    ExportColumn("Files kept", exports.latest(_COUNT, "n"), INTEGER),
    ExportColumn("Added by", exports.person_name("added_by__")),
    ExportColumn("Added", "created_at", DATETIME),
    ExportColumn("Note", "note", width=40),
]


def review_badge(item):
    if item.review_on is None:
        return "—"
    shown = item.review_on.strftime("%d/%m/%Y")
    today = timezone.localdate()
    if item.review_on < today:
        return format_html("{} {}", shown, badge("overdue", "Past its review date"))
    if item.is_expiring:
        return format_html("{} {}", shown, badge("due-soon", "Review due soon"))
    return shown


class EvidenceTable(CardTable):
    """The evidence library: on a phone, each item a card with its title, review date and what
    it supports, then the rest."""

    export_title = "Evidence"
    export_columns = EVIDENCE_EXPORT

    title = tables.Column("Title", linkify=True, attrs={"td": {"class": "card-title"}})
    organisation = tables.Column(
        "Organisation", accessor="organisation__name", attrs={"td": {"class": "card-more"}}
    )
    kind = tables.Column("File or link")
    speaks_for = tables.Column("Speaks for")
    review_on = tables.Column("Review by", default="—")
    supports_count = sort_words(
        tables.Column("Supports", attrs={"td": {"class": "num"}, "th": {"class": "num"}}),
        "fewest first",
        "most first",
    )
    latest_name = tables.Column("Latest file", default="—", attrs={"td": {"class": "card-more"}})
    added_by = tables.Column(
        "Added by",
        order_by=("added_by__last_name", "added_by__first_name"),
        attrs={"td": {"class": "card-more"}},
    )

    class Meta:
        model = EvidenceItem
        fields = (
            "title",
            "organisation",
            "kind",
            "speaks_for",
            "review_on",
            "supports_count",
            "latest_name",
            "added_by",
        )
        sequence = fields
        attrs = {"class": "table", "id": "evidence-table"}
        row_attrs = {"id": lambda record: f"evidence-{record.pk}"}
        order_by = ("-speaks_for",)

    def render_speaks_for(self, value):
        return value.strftime("%d/%m/%Y")

    def render_review_on(self, record):
        return review_badge(record)

    def render_supports_count(self, value):
        return "Nothing yet" if not value else f"{value} record{'s' if value != 1 else ''}"

    def render_added_by(self, value):
        return value.get_full_name() or value.get_username()
