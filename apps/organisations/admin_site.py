from django.contrib import admin

from . import permissions


class CcgtrackAdminSite(admin.AdminSite):
    """The Django admin, open to ccgtrack admins only (the same helper every view uses)."""

    site_header = "ccgtrack administration"
    site_title = "ccgtrack admin"
    index_title = "Seed data, accounts and settings"

    def has_permission(self, request):
        return permissions.is_admin(request.user)
