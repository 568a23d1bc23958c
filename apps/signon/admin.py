from django.contrib import admin

from apps.core.read_only_admin import ReadOnlyAdmin

from .models import AllowedDomain


@admin.register(AllowedDomain)
class AllowedDomainAdmin(ReadOnlyAdmin):
    """Every organisation's allowed email domains, read only: they are allowed and withdrawn on
    each organisation's allowed domains page, through the edit path."""

    list_display = ("domain", "organisation", "role", "created_at", "withdrawn_at")
    list_filter = ("role", ("withdrawn_at", admin.EmptyFieldListFilter))
    search_fields = ("domain", "organisation__name")
    list_select_related = ("organisation",)
