from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    default = True

    def ready(self):
        # After pghistory.admin (earlier in INSTALLED_APPS) has registered its events admin.
        from apps.core.audit_admin import install

        install()


class CcgtrackAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "apps.organisations.admin_site.CcgtrackAdminSite"
