from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    default = True


class CcgtrackAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "apps.organisations.admin_site.CcgtrackAdminSite"
