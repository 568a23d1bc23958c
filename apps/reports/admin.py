from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from apps.core.edit_admin import VersionedEditAdmin
from apps.core.read_only_admin import ReadOnlyAdmin

from . import services
from .models import BoardReport, IssuedPaper


@admin.register(BoardReport)
class BoardReportAdmin(VersionedEditAdmin):
    """Cover sheet edits go through the same service as the cover sheet form: the version is
    checked, so an author's open form sees an admin's change as a conflict, and vice versa."""

    edit_service = services.cover_sheet_edit
    list_display = ("title", "plan", "meeting_date", "author", "updated_at")
    list_filter = ("plan__organisation",)
    search_fields = ("title", "author", "sponsoring_member", "purpose", "plan__title")
    list_select_related = ("plan__organisation",)
    autocomplete_fields = ("plan",)
    date_hierarchy = "meeting_date"
    readonly_fields = ("version", "created_at", "updated_at")


@admin.register(IssuedPaper)
class IssuedPaperAdmin(ReadOnlyAdmin):
    """Issued papers are records: the admin shows them and changes nothing (no add, change or
    delete here, and PostgreSQL refuses UPDATE and DELETE on the table anyway). A paper is
    issued, and corrected, from the board report page."""

    list_display = ("__str__", "plan", "meeting_date", "read_at", "issued_by_name", "supersedes")
    list_filter = ("plan__organisation",)
    search_fields = ("title", "plan__title", "issued_by_name")
    list_select_related = ("plan__organisation", "supersedes")
    date_hierarchy = "meeting_date"
    fields = (
        "plan",
        "number",
        "cover_sheet",
        "meeting_date",
        "title",
        "read_at",
        "issued_at",
        "issued_by",
        "issued_by_name",
        "supersedes",
        "previous",
        "correction_note",
        "pdf_download",
        "pdf_sha256",
        "pdf_size",
        "html_sha256",
        "deliverable_count",
        "delivered_count",
        "overdue_count",
        "open_risk_count",
        "red_risk_count",
        "red_residual_risk_count",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("snapshot", "html")

    @admin.display(description="PDF")
    def pdf_download(self, obj):
        # Through the paper's own view, which checks the SHA-256; the storage is never exposed.
        return format_html('<a href="{}">{}</a>', reverse("reports:paper_pdf", args=[obj.pk]), obj.pdf.name)
