from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "apps.organisations"
    label = "organisations"

    def ready(self):
        # Who may read and change what is kept for the rest of a request once asked
        # (apps/core/per_request.py): a change of membership or account drops it.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from apps.core import freshness, per_request

        from . import permissions
        from .models import Membership

        # A cached value with no scopes of its own is keyed by what its viewer reads.
        freshness.viewer_scopes_rule = permissions.reading_roots

        for model in (Membership, get_user_model()):
            for signal in (post_save, post_delete):
                uid = f"ccgtrack_forget_{signal}_{model._meta.label}"
                signal.connect(per_request.forget, sender=model, dispatch_uid=uid)
