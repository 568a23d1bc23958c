"""Who may see and change what: the one place ccgtrack's roles are expressed.

- admin: a superuser; sees and changes everything and uses the Django admin.
- staff: a Membership with role "staff"; changes the OD data of that organisation and of
  everything beneath it.
- governing-body member: a Membership with role "governing_body"; reads that organisation and
  everything beneath it, changes nothing.

Every view and the admin ask these functions; none of them repeats the rules.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from apps.core.edits import VersionedEdit

from .models import Membership, Organisation


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def _membership_ids(user: Any, roles: list[str] | None = None) -> QuerySet[Membership, Any]:
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return memberships.values("organisation_id")


def visible_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations the user may read (a lazy queryset, usable as a subquery)."""
    if not (user and user.is_authenticated and user.is_active):
        return Organisation.objects.none()
    if is_admin(user):
        return Organisation.objects.all()
    return Organisation.objects.beneath(_membership_ids(user))


def editable_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations whose OD data (deliverables, actions, risks) the user may change."""
    if not (user and user.is_authenticated and user.is_active):
        return Organisation.objects.none()
    if is_admin(user):
        return Organisation.objects.all()
    return Organisation.objects.beneath(_membership_ids(user, [Membership.Role.STAFF]))


def can_view(user, organisation) -> bool:
    return visible_organisations(user).filter(pk=organisation.pk).exists()


def can_edit(user, organisation) -> bool:
    return editable_organisations(user).filter(pk=organisation.pk).exists()


def require_edit(user: Any, organisation: Organisation) -> None:
    if not can_edit(user, organisation):
        raise PermissionDenied("Only staff of the owning organisation may change this.")


def has_national_view(user) -> bool:
    """Admins and members of the national body or a region see the national dashboard."""
    if is_admin(user):
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    national = (Organisation.Kind.NATIONAL, Organisation.Kind.REGION)
    return Membership.objects.filter(user=user, organisation__kind__in=national).exists()


def role_label(user) -> str:
    """A short description of the user's role for the page header."""
    if not user.is_authenticated:
        return ""
    if is_admin(user):
        return "Administrator"
    roles = {m.get_role_display() for m in user.memberships.all()}
    return ", ".join(sorted(roles)) or "No organisation"


class OrganisationEdit(VersionedEdit):
    """The permission half of the edit path for records that belong to an organisation:
    staff of the organisation (or above it) may change them, administrators may also change the
    structural fields. ``organisation_path`` leads from the record to its organisation."""

    organisation_path = "organisation"

    def organisation_of(self, obj: Any) -> Organisation:
        for name in self.organisation_path.split("__"):
            obj = getattr(obj, name)
        return obj

    def may_edit(self, user, obj) -> bool:
        return can_edit(user, self.organisation_of(obj))

    def is_administrator(self, user) -> bool:
        return is_admin(user)
