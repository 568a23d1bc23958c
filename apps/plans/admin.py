from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join

from apps.core.edit_admin import ArchivingAdmin, VersionedEditAdmin
from apps.core.read_only_admin import ReadOnlyAdmin, ReadOnlyTabularInline
from apps.core.templatetags.words import person

from . import selectors, services
from .models import (
    AuthorisationDomain,
    Deliverable,
    MaturityLevel,
    Objective,
    ODPlan,
    SelfAssessment,
    SelfAssessmentScore,
    StatusUpdate,
    Theme,
)

# Themes, objectives and self-assessments are versioned records that staff edit from the product:
# the admin changes them one at a time through the same service (version, note, audit trail),
# so the lists under a plan, a theme or an assessment are read-only here, with links to each.


class ThemeInline(ReadOnlyTabularInline):
    model = Theme
    fields = ("number", "title")
    show_change_link = True


class ObjectiveInline(ReadOnlyTabularInline):
    model = Objective
    fields = ("position", "text")
    show_change_link = True


class StatusUpdateInline(ReadOnlyTabularInline):
    model = StatusUpdate
    fields = ("created_at", "created_by", "from_status", "to_status", "note")


@admin.register(ODPlan)
class ODPlanAdmin(admin.ModelAdmin):
    list_display = ("title", "organisation", "period_label", "version", "budget_amount", "reported_on")
    list_filter = (("organisation", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("title", "organisation__name", "author")
    autocomplete_fields = ("organisation",)
    inlines = (ThemeInline,)


@admin.register(Theme)
class ThemeAdmin(VersionedEditAdmin):
    edit_service = services.theme_edit
    adds_through_service = True
    list_display = ("__str__", "plan")
    list_filter = ("plan",)
    search_fields = ("title",)
    readonly_fields = ("version",)
    inlines = (ObjectiveInline,)


@admin.register(Objective)
class ObjectiveAdmin(VersionedEditAdmin):
    edit_service = services.objective_edit
    adds_through_service = True
    list_display = ("__str__", "theme", "position")
    list_filter = ("theme__plan",)
    search_fields = ("text",)
    list_select_related = ("theme__plan",)
    readonly_fields = ("version",)


def theme_choice_label(theme):
    """A theme as a choice among those of every plan: its organisation, plan and number
    ("NHS Dorset CCG, Organisational Development Strategy 2012-2017: 1. Governance ...")."""
    plan = theme.plan
    return f"{plan.organisation.name}, {plan.title}: {theme.number}. {theme.title}"


@admin.register(Deliverable)
class DeliverableAdmin(ArchivingAdmin):
    """Edits here go through the same service as the app's forms: history and version kept. A
    deliverable is archived, never deleted."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The themes of every plan in one list: each says whose plan it belongs to.
        if db_field.name == "theme":
            kwargs["queryset"] = Theme.objects.select_related("plan__organisation").order_by(
                "plan__organisation__name", "plan__title", "number"
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "theme" and field is not None:
            field.label_from_instance = theme_choice_label  # type: ignore[method-assign]
        return field

    edit_service = services.deliverable_edit
    adds_through_service = True
    list_display = ("__str__", "organisation_name", "theme", "status", "deadline", "owner", "archived_at")
    list_filter = (
        "status",
        ("archived_at", admin.EmptyFieldListFilter),
        "theme__plan",
        "domains",
        ("owner", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "delivered_narrative", "in_progress_narrative", "comments", "methods")
    list_select_related = ("theme__plan__organisation", "owner")
    autocomplete_fields = ("owner",)
    filter_horizontal = ("domains",)
    readonly_fields = ("version", "audit_trail")
    inlines = (StatusUpdateInline,)
    actions = ("mark_delivered", "archive_selected", "restore_selected")

    @admin.display(description="Organisation", ordering="theme__plan__organisation__name")
    def organisation_name(self, obj):
        return obj.theme.plan.organisation.name

    @admin.display(description="Audit trail")
    def audit_trail(self, obj):
        if not obj.pk:
            return "—"
        _, events = selectors.deliverable_history(obj)
        return format_html_join(
            "\n",
            "<div>{} · {} · {} · {}</div>",
            (
                (
                    e.created_at.strftime("%d/%m/%Y %H:%M"),
                    e.what,
                    person(e.actor, "System"),
                    "; ".join(f"{c.label}: {c.before} → {c.after}" for c in e.changes) or "—",
                )
                for e in events
            ),
        )

    @admin.action(description="Mark selected as delivered (recorded in each history)")
    def mark_delivered(self, request, queryset):
        done = 0
        for deliverable in queryset:
            try:
                services.deliverable_update(
                    deliverable_id=deliverable.pk,
                    acting_user=request.user,
                    expected_version=deliverable.version,
                    changes={"status": Deliverable.Status.DELIVERED},
                    note="Marked delivered in the admin.",
                    via="admin",
                )
                done += 1
            except (ValidationError, services.StaleVersionError) as exc:
                self.message_user(request, f"{deliverable}: {exc}", messages.WARNING)
        self.message_user(request, f"{done} marked delivered.")


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReadOnlyAdmin):
    list_display = ("deliverable", "created_at", "created_by", "from_status", "to_status")
    list_filter = ("to_status",)
    search_fields = ("note", "deliverable__title")
    list_select_related = ("deliverable", "created_by")


@admin.register(AuthorisationDomain)
class AuthorisationDomainAdmin(admin.ModelAdmin):
    list_display = ("number", "name")
    search_fields = ("name",)


@admin.register(MaturityLevel)
class MaturityLevelAdmin(admin.ModelAdmin):
    list_display = ("level", "lower_percent", "upper_percent", "label")


class SelfAssessmentScoreInline(ReadOnlyTabularInline):
    """The scores are changed on the self-assessment's page, through its service."""

    model = SelfAssessmentScore
    fields = ("domain", "score_percent", "domain_label")


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(VersionedEditAdmin):
    edit_service = services.self_assessment_edit
    list_display = ("organisation", "assessed_label", "tool")
    autocomplete_fields = ("organisation",)
    readonly_fields = ("version",)
    inlines = (SelfAssessmentScoreInline,)
