"""Reads of the allowed domains page."""

from apps.organisations import permissions
from apps.organisations.models import Organisation

from .models import AllowedDomain


def allowed_domains(*, acting_user, scope):
    """The allowed domains (withdrawn ones too) of the organisations the acting user manages at
    ``scope`` or beneath it, with their organisations: one query, current ones first."""
    return (
        AllowedDomain.objects.filter(organisation__in=permissions.manageable_organisations(acting_user))
        .filter(organisation__in=Organisation.objects.beneath([scope.pk]).values("pk"))
        .select_related("organisation")
        .order_by("withdrawn_at", "domain", "pk")
    )
