"""Who may see and change what: the one place ccgtrack's roles are expressed.

- admin: a superuser; sees and changes everything and uses the Django admin.
- staff: a Membership with role "staff"; changes the OD data of that organisation and of
  everything beneath it.
- governing-body member: a Membership with role "governing_body"; reads that organisation and
  everything beneath it, changes nothing.

Every view and the admin ask these functions; none of them repeats the rules.
"""

from django.core.exceptions import PermissionDenied

from apps.organisations.models import Membership, Organisation


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def _membership_ids(user, roles=None):
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return memberships.values("organisation_id")


def visible_organisations(user):
    """Organisations the user may read (a lazy queryset, usable as a subquery)."""
    if not (user and user.is_authenticated and user.is_active):
        return Organisation.objects.none()
    if is_admin(user):
        return Organisation.objects.all()
    return Organisation.objects.beneath(_membership_ids(user))


def editable_organisations(user):
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


def require_edit(user, organisation):
    if not can_edit(user, organisation):
        raise PermissionDenied("Only staff of the owning organisation may change this.")


def role_label(user) -> str:
    """A short description of the user's role for the page header."""
    if not user.is_authenticated:
        return ""
    if is_admin(user):
        return "Administrator"
    roles = {m.get_role_display() for m in user.memberships.all()}
    return ", ".join(sorted(roles)) or "No organisation"
