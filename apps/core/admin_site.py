from django.contrib import admin

from apps.core import permissions


class CcgtrackAdminSite(admin.AdminSite):
    """The Django admin, open to ccgtrack admins only (the same helper every view uses)."""

    site_header = "ccgtrack administration"
    site_title = "ccgtrack admin"
    index_title = "Seed data, accounts and settings"

    def has_permission(self, request):
        return permissions.is_admin(request.user)


class ReadOnlyTabularInline(admin.TabularInline):
    """History rows shown under their record in the admin: visible, never edited there."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False
