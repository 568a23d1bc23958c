from django.contrib import admin

from apps.core.read_only_admin import ReadOnlyAdmin

from .models import ReminderDelivery, ReminderPreference

# Records kept by the reminder job and the preference page: read here, changed there.


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
