from django.contrib import admin

from apps.core.admin_site import VersionedEditAdmin

from . import services
from .models import BoardReport


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
