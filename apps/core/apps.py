from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    default = True

    def ready(self):
        # After pghistory.admin (earlier in INSTALLED_APPS) has registered its events admin.
        from django.core import signals
        from django.db.models.signals import post_migrate

        from apps.core import dbroles, freshness
        from apps.core.audit_admin import install

        install()
        # Every watched table gets the data version's trigger, whichever migration made it.
        post_migrate.connect(freshness.install_triggers, sender=self, dispatch_uid="ccgtrack_data_version")
        # The trigger-ignore guard and the app role's privileges, after every migration.
        post_migrate.connect(dbroles.post_migrate, sender=self, dispatch_uid="ccgtrack_db_roles")
        signals.request_started.connect(freshness.request_started, dispatch_uid="ccgtrack_data_version")
        signals.request_finished.connect(freshness.request_finished, dispatch_uid="ccgtrack_data_version")


class CcgtrackAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "apps.organisations.admin_site.CcgtrackAdminSite"
