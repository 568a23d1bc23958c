"""Reads for the people page (kept apart from ``selectors.py``, which other pages share)."""

from django.db.models import Exists, OuterRef

from . import permissions
from .models import Membership, MembershipChange, Organisation

CHANGES_SHOWN = 50


def people_memberships(*, acting_user, organisation):
    """The memberships of ``organisation`` and everything beneath it, with their users and
    organisations, each annotated ``elsewhere``: whether the person also belongs to an
    organisation the acting user does not manage (then only an administrator may deactivate
    the account). One query."""
    outside = Membership.objects.filter(user=OuterRef("user_id")).exclude(
        organisation__in=permissions.manageable_organisations(acting_user)
    )
    return (
        Membership.objects.filter(
            organisation__in=Organisation.objects.beneath([organisation.pk]).values("pk")
        )
        .select_related("user", "organisation")
        .annotate(elsewhere=Exists(outside))
        .order_by("organisation__kind", "organisation__name", "user__last_name", "user__first_name", "pk")
    )


def people_changes(*, organisation, limit=CHANGES_SHOWN):
    """The latest membership changes at ``organisation`` and beneath it, newest first."""
    return (
        MembershipChange.objects.filter(
            organisation__in=Organisation.objects.beneath([organisation.pk]).values("pk")
        )
        .select_related("acting_user", "user", "organisation")
        .order_by("-created_at", "-pk")[:limit]
    )
