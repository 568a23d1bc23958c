from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.contrib.staticfiles.apps import StaticFilesConfig
from django_tasks_db.apps import TasksAppConfig
from pghistory.apps import PGHistoryConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    default = True

    def ready(self):
        # After pghistory.admin (earlier in INSTALLED_APPS) has registered its events admin.
        from django.core import signals
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from apps.core import connections, dbroles, freshness, per_request, table_signatures
        from apps.core.history import audit_admin, data_versions

        audit_admin.install()
        table_signatures.install()
        connection_created.connect(connections.configure, dispatch_uid="ccgtrack_connection")
        # Every watched table gets the data version's trigger, whichever migration made it.
        post_migrate.connect(
            data_versions.install_triggers, sender=self, dispatch_uid="ccgtrack_data_version"
        )
        # The trigger-ignore guard and the app role's privileges, after every migration.
        post_migrate.connect(dbroles.post_migrate, sender=self, dispatch_uid="ccgtrack_db_roles")
        signals.request_started.connect(freshness.request_started, dispatch_uid="ccgtrack_data_version")
        signals.request_finished.connect(freshness.request_finished, dispatch_uid="ccgtrack_data_version")
        signals.request_started.connect(per_request.request_started, dispatch_uid="ccgtrack_per_request")
        signals.request_finished.connect(per_request.request_finished, dispatch_uid="ccgtrack_per_request")


class CcgtrackAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "apps.organisations.admin_site.CcgtrackAdminSite"


# The libraries' sections of the Django admin, named for the people who use it rather than by
# the library ("AXES", "PGHISTORY", "TASKS DATABASE BACKEND"). Their labels, and so their
# tables and migrations, are the libraries' own.
class SignInAttemptsConfig(AxesConfig):
    verbose_name = "Sign-in attempts and lockouts"


class AuditTrailConfig(PGHistoryConfig):
    verbose_name = "Audit trail"


class BackgroundTasksConfig(TasksAppConfig):
    verbose_name = "Background tasks (reminder emails)"


class StaticFilesWithoutUnusedConfig(StaticFilesConfig):
    """collectstatic without what no page loads: the libraries' source maps (for a developer's
    browser tools; apps/core/staticfiles.py) and drf-spectacular-sidecar's ReDoc bundle (the
    API's documents are Swagger UI). Every deploy, `make serve` and the served tests collect and
    compress the files: these were over half of them."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "*.map", "redoc"]
