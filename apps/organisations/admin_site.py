from functools import update_wrapper

from django.contrib import admin

from apps.core.input import NUL_MESSAGE, bad_request, has_nul

from . import permissions


class CcgtrackAdminSite(admin.AdminSite):
    """The Django admin, open to ccgtrack admins only (the same helper every view uses)."""

    site_header = "ccgtrack administration"
    site_title = "ccgtrack admin"
    index_title = "Seed data, accounts and settings"

    def has_permission(self, request):
        return permissions.is_admin(request.user)

    def admin_view(self, view, cacheable=False):
        """Every admin page (changelists, forms, autocomplete, the audit trail) first refuses a
        NUL character anywhere in the query string or the posted values with a 400: the admin's
        search, list filters and autocomplete pass raw values to PostgreSQL, which cannot
        store or compare them."""
        wrapped = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            if self.has_permission(request) and has_nul(request):
                return bad_request(request, NUL_MESSAGE)
            return wrapped(request, *args, **kwargs)

        return update_wrapper(inner, wrapped)
