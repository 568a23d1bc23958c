from django.contrib import admin
from django.db import models

from apps.core.read_only_admin import ReadOnlyAdmin, ReadOnlyTabularInline

from .models import LINK_FIELDS, EvidenceItem, EvidenceLink, EvidenceRevision

# Evidence is added, changed, linked and archived on its own pages, through its edit path
# (apps/evidence/services.py); the admin reads it.


class EvidenceRevisionInline(ReadOnlyTabularInline):
    model = EvidenceRevision
    fields = (
        "number",
        "original_name",
        "size",
        "content_type",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "note",
    )


class EvidenceLinkInline(ReadOnlyTabularInline):
    model = EvidenceLink
    fields = (*LINK_FIELDS, "added_by", "added_at", "removed_at")


@admin.register(EvidenceItem)
class EvidenceItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "organisation", "kind", "speaks_for", "review_on", "added_by", "archived_at")
    list_filter = ("kind",)
    search_fields = ("title", "note", "organisation__name")
    list_select_related = ("organisation", "added_by")
    inlines = [EvidenceRevisionInline, EvidenceLinkInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
