"""Admin pages that show records and change nothing: history rows, the audit trail, issued
papers, memberships (changed on the people page) and the reminders' bookkeeping. Written once
here; PostgreSQL refuses UPDATE and DELETE of the append-only ones as well."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """Nothing added, changed or deleted through this admin, singly or in bulk (no permission,
    so no delete action either)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A model's admin that only reads (history rows: status updates, risk reviews; records
    another page keeps)."""


class ReadOnlyTabularInline(admin.TabularInline):
    """History rows shown under their record in the admin: visible, never edited there."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False
