from django.contrib import admin

from .models import BoardReport


@admin.register(BoardReport)
class BoardReportAdmin(admin.ModelAdmin):
    list_display = ("title", "plan", "meeting_date", "author", "updated_at")
    list_filter = ("plan__organisation",)
    search_fields = ("title", "author", "sponsoring_member", "purpose", "plan__title")
    list_select_related = ("plan__organisation",)
    autocomplete_fields = ("plan",)
    date_hierarchy = "meeting_date"
    readonly_fields = ("version", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        # An admin edit raises the version too, so an author's open cover-sheet form sees the
        # conflict instead of silently overwriting it.
        if change:
            obj.version += 1
        obj.full_clean()
        super().save_model(request, obj, form, change)
