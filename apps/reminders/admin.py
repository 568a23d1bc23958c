from django.contrib import admin

from .models import ReminderDelivery, ReminderPreference


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the reminder job and the preference page: read here, changed there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "period", "state", "attempts", "item_count", "sent_at", "last_error")
    list_filter = ("kind", "state")
    search_fields = ("user__username", "user__email", "period")
    list_select_related = ("user",)


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "frequency", "updated_at")
    list_filter = ("frequency",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
