from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "apps.api"
    label = "api"
    verbose_name = "API"

    def ready(self):
        # drf-spectacular finds the token authentication's scheme here.
        from . import schema  # noqa: F401
