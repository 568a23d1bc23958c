from django.apps import AppConfig


class SignOnConfig(AppConfig):
    name = "apps.signon"
    label = "signon"
    verbose_name = "Single sign-on"
