from django.urls import reverse

from apps.organisations import permissions
from apps.organisations.models import Membership, Organisation

KINDS = list(Organisation.Kind.values)  # from the widest (national) to the narrowest


def navigation(request):
    """The header's role label and menu, worked out once per request from one query of the
    user's memberships (django-tables2 renders its template with a fresh context, which runs
    the processors again). The menu offers what the user may use: Import to those who may
    change an organisation's plan (staff, organisation administrators, admins), People to
    organisation administrators (their organisation's people page) and admins (the accounts)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    if not hasattr(request, "_ccgtrack_navigation"):
        admin = permissions.is_admin(user)
        memberships = [] if admin else permissions.memberships(user)
        managed = [m.organisation for m in memberships if m.role in Membership.MANAGER_ROLES]
        people_url = ""
        if admin:
            people_url = reverse("admin:auth_user_changelist")
        elif managed:
            top = min(managed, key=lambda organisation: (KINDS.index(organisation.kind), organisation.name))
            people_url = reverse("organisations:people", args=[top.slug])
        request._ccgtrack_navigation = {
            "is_admin": admin,
            "role_label": permissions.role_label(user, memberships),
            "may_import": admin or any(m.role in Membership.EDITOR_ROLES for m in memberships),
            "people_url": people_url,
        }
    return request._ccgtrack_navigation
