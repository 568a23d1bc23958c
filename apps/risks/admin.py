from typing import cast

from django.contrib import admin

from apps.core.edit_admin import ArchivingAdmin
from apps.core.read_only_admin import ReadOnlyAdmin, ReadOnlyTabularInline

from . import services
from .models import Band, BandScheme, Risk, RiskQuerySet, RiskReview


class RiskReviewInline(ReadOnlyTabularInline):
    model = RiskReview
    fields = ("created_at", "reviewed_by", "rating_before", "rating_after", "residual_rating_after", "note")


@admin.register(Risk)
class RiskAdmin(ArchivingAdmin):
    """Ratings and bands are shown read-only: they are computed from the scores. Edits go
    through the review service, so each leaves a review with its note. A risk is archived, never
    deleted."""

    edit_service = services.risk_edit
    adds_through_service = True
    list_display = (
        "reference",
        "short_description",
        "organisation",
        "category",
        "severity",
        "likelihood",
        "rating",
        "band",
        "residual_rating",
        "residual_band",
        "status",
        "archived_at",
    )
    list_filter = (
        "status",
        ("archived_at", admin.EmptyFieldListFilter),
        "category",
        ("organisation", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("description", "mitigation", "reference", "category")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation", "owner", "plan")
    filter_horizontal = ("domains",)
    readonly_fields = ("rating", "band", "residual_rating", "residual_band", "version")
    inlines = (RiskReviewInline,)
    actions = ("archive_selected", "restore_selected")

    def get_queryset(self, request):
        return cast(RiskQuerySet, super().get_queryset(request)).with_ratings()

    @admin.display(description="Risk")
    def short_description(self, obj):
        return str(obj)

    @admin.display(description="Rating", ordering="rating")
    def rating(self, obj):
        return obj.inherent_rating if obj.pk else "—"

    @admin.display(description="Band", ordering="rating")
    def band(self, obj):
        return Band(obj.band).label if obj.pk else "—"  # annotated by with_ratings(): no query per row

    @admin.display(description="Residual rating", ordering="residual_rating")
    def residual_rating(self, obj):
        return obj.residual if obj.pk else "—"

    @admin.display(description="Residual band", ordering="residual_rating")
    def residual_band(self, obj):
        return Band(obj.residual_band).label if obj.pk else "—"


@admin.register(RiskReview)
class RiskReviewAdmin(ReadOnlyAdmin):
    list_display = ("risk", "created_at", "reviewed_by", "rating_before", "rating_after")
    search_fields = ("note", "risk__description", "risk__reference")
    list_select_related = ("risk", "reviewed_by")


@admin.register(BandScheme)
class BandSchemeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "low_max", "moderate_max", "high_max", "updated_at")

    def has_add_permission(self, request):
        return not BandScheme.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
