from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from pghistory.models import Context

from apps.core.read_only_admin import ReadOnlyAdmin, ReadOnlyTabularInline

from .models import (
    Function,
    HealthAndWellbeingBoard,
    Membership,
    Organisation,
    SpecialisedHub,
    SupportTeamRole,
)


class SupportTeamRoleInline(admin.TabularInline):
    model = SupportTeamRole
    extra = 0


class MembershipInline(ReadOnlyTabularInline):
    """Shown, not edited: memberships change on the people page, whose services audit each
    change (who, when, what) and keep the role rules."""

    model = Membership
    fields = ("user", "role")


class ChildInline(admin.TabularInline):
    model = Organisation
    fk_name = "parent"
    fields = ("name", "kind", "position")
    readonly_fields = ("name", "kind", "position")
    extra = 0
    show_change_link = True
    can_delete = False
    verbose_name_plural = "organisations beneath"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "parent",
        "population_thousands",
        "ccg_count",
        "hwb_count",
        "specialised_hub",
        "population",
    )
    list_filter = (
        "kind",
        ("specialised_hub", admin.RelatedOnlyFieldListFilter),
        ("parent", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "aliases", "slug")
    list_select_related = ("parent", "specialised_hub")
    autocomplete_fields = (
        "parent",
        "pct_cluster",
        "specialised_hub",
        "mapped_lats",
        "health_and_wellbeing_boards",
    )
    filter_horizontal = ("functions",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (ChildInline, SupportTeamRoleInline, MembershipInline)
    fieldsets = (
        (
            None,
            {"fields": ("kind", "name", "slug", "aliases", "parent", "position", "description", "source")},
        ),
        (
            "Local area team",
            {
                "fields": ("population_thousands", "ccg_count", "hwb_count", "specialised_hub", "functions"),
                "classes": ("collapse",),
            },
        ),
        ("PCT cluster", {"fields": ("mapped_lats",), "classes": ("collapse",)}),
        (
            "CCG",
            {
                "fields": (
                    "population",
                    "population_note",
                    "member_practice_count",
                    "pct_cluster",
                    "commissioning_support",
                    "health_and_wellbeing_boards",
                ),
                "classes": ("collapse",),
            },
        ),
    )


@admin.register(SpecialisedHub)
class SpecialisedHubAdmin(admin.ModelAdmin):
    list_display = ("name", "position")
    search_fields = ("name",)


@admin.register(Function)
class FunctionAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "position")
    list_filter = ("category",)
    search_fields = ("name", "code")


@admin.register(HealthAndWellbeingBoard)
class HealthAndWellbeingBoardAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    """Read-only: invite, change roles and remove people on the organisation's people page
    (/organisations/<slug>/people/), which audits every change."""

    list_display = ("user", "organisation", "role")
    list_filter = ("role", ("organisation", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "user__first_name", "user__last_name", "organisation__name")
    list_select_related = ("user", "organisation")


@admin.register(SupportTeamRole)
class SupportTeamRoleAdmin(admin.ModelAdmin):
    list_display = ("title", "band", "organisation")
    list_filter = ("band",)
    search_fields = ("title", "organisation__name")
    autocomplete_fields = ("organisation",)


User = get_user_model()


def users_with_history(queryset):
    """The users of ``queryset`` whose name is on history: a status update, a risk review, or
    an audit-trail context (cover sheet edits and every other audited change)."""
    from apps.plans.models import StatusUpdate
    from apps.risks.models import RiskReview

    return queryset.filter(
        Exists(StatusUpdate.objects.filter(created_by=OuterRef("pk")))
        | Exists(RiskReview.objects.filter(reviewed_by=OuterRef("pk")))
        | Exists(
            Context.objects.annotate(user_id=KT("metadata__user")).filter(
                user_id=Cast(OuterRef("pk"), output_field=TextField())
            )
        )
    )


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Accounts. Someone whose name is on history is deactivated, never deleted: deleting them
    would leave history with no author (status updates and reviews refuse it in PostgreSQL too)."""

    actions = ("deactivate_selected",)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and users_with_history(User.objects.filter(pk=obj.pk)).exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """The bulk delete refuses, as protected, every selected user with history."""
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        pks = [obj.pk for obj in objs]
        with_history = list(users_with_history(User.objects.filter(pk__in=pks)))
        if with_history:
            # has_delete_permission refused them: say why, rather than "permission needed".
            perms_needed.discard(User._meta.verbose_name)
            for user in with_history:
                protected.append(f"{user.get_username()}: has history (deactivate the account instead)")
        return to_delete, model_count, perms_needed, protected

    @admin.action(description="Deactivate selected users (they can no longer sign in; history kept)")
    def deactivate_selected(self, request, queryset):
        users = list(queryset.filter(is_active=True))
        for user in users:
            user.is_active = False
            user.save(update_fields=["is_active"])
            self.log_change(request, user, "Deactivated.")
        self.message_user(request, f"{len(users)} deactivated.", messages.SUCCESS)
