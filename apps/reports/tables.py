import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from apps.core.tables import CardTable, NumberColumn

from .models import IssuedPaper


class IssuedPaperTable(CardTable):
    """A plan's issued papers, latest first: what each said in headline figures, and which
    correction superseded which."""

    number = tables.Column("Paper", orderable=False)
    meeting_date = tables.DateColumn(format="d/m/Y", verbose_name="Meeting", orderable=False)
    title = tables.Column("Title", orderable=False)
    read_at = tables.DateTimeColumn(format="j M Y, H:i", verbose_name="Data read at", orderable=False)
    issued_by_name = tables.Column("Issued by", orderable=False)
    delivered_pct = NumberColumn("% delivered", decimals=1, orderable=False, accessor="delivered_pct")
    overdue_count = NumberColumn("Overdue", orderable=False)
    red_risk_count = NumberColumn("Red risks", orderable=False)
    standing = tables.Column("Standing", empty_values=(), orderable=False)
    files = tables.Column("Files", empty_values=(), orderable=False)

    class Meta:
        model = IssuedPaper
        fields = (
            "number",
            "meeting_date",
            "title",
            "read_at",
            "issued_by_name",
            "delivered_pct",
            "overdue_count",
            "red_risk_count",
            "standing",
            "files",
        )
        sequence = fields
        attrs = {"class": "table", "id": "paper-table"}
        row_attrs = {"id": lambda record: f"paper-{record.pk}", "data-number": lambda record: record.number}

    def render_number(self, record):
        return format_html('<a href="{}">Paper {}</a>', record.get_absolute_url(), record.number)

    def render_standing(self, record):
        superseded_by = getattr(record, "superseded_by", None)
        if superseded_by is not None:
            return format_html(
                '<span class="badge superseded">Superseded</span> by <a href="{}">paper {}</a>',
                superseded_by.get_absolute_url(),
                superseded_by.number,
            )
        if record.supersedes_id:
            return format_html(
                'Stands; corrects <a href="{}">the paper it supersedes</a>',
                reverse("reports:paper_detail", args=[record.supersedes_id]),
            )
        return "Stands"

    def render_files(self, record):
        compare = ""
        if record.previous_id:
            compare = format_html(
                ' · <a href="{}">compare with the paper before</a>',
                reverse("reports:paper_compare", args=[record.previous_id, record.pk]),
            )
        return format_html(
            '<a href="{}">HTML</a> · <a href="{}" download>PDF</a>{}',
            record.get_absolute_url(),
            reverse("reports:paper_pdf", args=[record.pk]),
            compare,
        )
