from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.core.admin_site import ReadOnlyTabularInline

from . import services
from .models import Band, BandScheme, Risk, RiskReview


class RiskReviewInline(ReadOnlyTabularInline):
    model = RiskReview
    fields = ("created_at", "reviewed_by", "rating_before", "rating_after", "residual_rating_after", "note")


@admin.register(Risk)
class RiskAdmin(admin.ModelAdmin):
    """Ratings and bands are shown read-only: they are computed from the scores."""

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
    )
    list_filter = ("status", "category", ("organisation", admin.RelatedOnlyFieldListFilter))
    search_fields = ("description", "mitigation", "reference", "category")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation", "owner", "plan")
    filter_horizontal = ("domains",)
    readonly_fields = ("rating", "band", "residual_rating", "residual_band", "version")
    inlines = (RiskReviewInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).with_ratings()

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

    def save_model(self, request, obj, form, change):
        scored = [f for f in form.changed_data if f in services.REVIEW_FIELDS]
        other = [f for f in form.changed_data if f not in services.REVIEW_FIELDS and f != "domains"]
        if not change or other:
            super().save_model(request, obj, form, change)
            obj.refresh_from_db()
        if change and scored:
            try:
                services.risk_review(
                    risk_id=obj.pk,
                    acting_user=request.user,
                    expected_version=obj.version,
                    changes={f: form.cleaned_data[f] for f in scored},
                    note="Reviewed in the admin.",
                )
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), level="error")


@admin.register(BandScheme)
class BandSchemeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "low_max", "moderate_max", "high_max", "updated_at")

    def has_add_permission(self, request):
        return not BandScheme.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
