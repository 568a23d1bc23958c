"""Who may see and change what: the one place ccgtrack's roles are expressed.

- admin: a superuser; sees and changes everything and uses the Django admin.
- staff: a Membership with role "staff"; changes the OD data of that organisation and of
  everything beneath it.
- governing-body member: a Membership with role "governing_body"; reads that organisation and
  everything beneath it, changes nothing.
- a member (either role) of a unit of a CCG (a CCG cluster, a locality, a practice) also reads
  that CCG and everything beneath it: the CCG's plan, risks and dashboard. They change only what
  their own role allows (staff of a locality change the locality's data, not the CCG's).

Every view and the admin ask these functions; none of them repeats the rules.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet

from apps.core import per_request
from apps.core.audience import is_administrator
from apps.core.edits import VersionedEdit

from .models import MAX_DEPTH, Membership, Organisation


def is_admin(user) -> bool:
    return is_administrator(user)


def _membership_ids(user: Any, roles: Iterable[str] | None = None) -> QuerySet[Membership, Any]:
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return memberships.values("organisation_id")


def _active(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


_ACCESS_SQL = """
WITH RECURSIVE
  mem AS (SELECT DISTINCT organisation_id AS org, role FROM {membership} WHERE user_id = %(user)s),
  up (mem_org, org, parent, kind, depth) AS (
    SELECT o.id, o.id, o.parent_id, o.kind, 0 FROM {organisation} o WHERE o.id IN (SELECT org FROM mem)
    UNION ALL
    SELECT up.mem_org, p.id, p.parent_id, p.kind, up.depth + 1
      FROM up JOIN {organisation} p ON p.id = up.parent WHERE up.depth < %(depth)s
  ),
  roots AS (
    SELECT DISTINCT COALESCE(
      (SELECT up.org FROM up WHERE up.mem_org = m.org AND up.depth > 0 AND up.kind = %(ccg)s
        ORDER BY up.depth LIMIT 1),
      m.org) AS root
    FROM (SELECT DISTINCT org FROM mem) m
  ),
  down (org, reading, editing, depth) AS (
    SELECT root, true, false, 0 FROM roots
    UNION ALL
    SELECT org, false, true, 0 FROM mem WHERE role = ANY(%(editors)s)
    UNION ALL
    SELECT c.id, down.reading, down.editing, down.depth + 1
      FROM down JOIN {organisation} c ON c.parent_id = down.org WHERE down.depth < %(depth)s
  )
SELECT org, bool_or(reading), bool_or(editing), org IN (SELECT root FROM roots)
  FROM down GROUP BY org ORDER BY org
"""


def _access(user: Any) -> tuple[list[int], list[int], list[int]]:
    """(the organisations the user reads, the roots of their subtrees, the organisations whose
    OD data they may change): one query, read once per request (``apps.core.per_request``). A
    member reads the subtree of the nearest CCG above their membership's organisation (or of that
    organisation itself when no CCG is above it) and changes, as staff or organisation
    administrator, their own organisation's subtree. Walking the tree in PostgreSQL (a recursive
    query over ``parent``) asks once what took three queries (roots, then the subtree read, then
    the subtree changed), each a round trip on every page."""

    def read() -> tuple[list[int], list[int], list[int]]:
        sql = _ACCESS_SQL.format(
            membership=Membership._meta.db_table, organisation=Organisation._meta.db_table
        )
        params = {
            "user": user.pk,
            "depth": MAX_DEPTH,
            "ccg": Organisation.Kind.CCG.value,
            "editors": [str(role) for role in Membership.EDITOR_ROLES],
        }
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        reading = [org for org, reads, _, _ in rows if reads]
        return reading, [org for org, _, _, root in rows if root], [org for org, _, edits, _ in rows if edits]

    return per_request.memo(("access", user.pk), read)


def _reading(user: Any) -> tuple[list[int], list[int]]:
    """(the organisations the user reads, the roots of their subtrees)."""
    reading, roots, _ = _access(user)
    return reading, roots


def visible_organisation_ids(user: Any) -> list[int] | None:
    """The pks of the organisations the user may read, read now (once per request); None for an
    administrator, who reads every organisation. A list, not a subquery: filtering the big tables
    by it lets PostgreSQL find a CCG's rows by their organisation instead of scanning the country
    (a staff member's deliverables list: 150 ms for its page of rows against a few)."""
    if not _active(user):
        return []
    if is_admin(user):
        return None
    return _reading(user)[0]


def reading_roots(user: Any) -> list[int] | None:
    """The organisations at the top of what the user reads (a member of a locality reads its
    CCG's tree): every write beneath one of them may change what they see. None for an
    administrator (everything)."""
    if not _active(user):
        return []
    if is_admin(user):
        return None
    return _reading(user)[1]


def visible_q(user: Any, path: str) -> Q:
    """Rows whose organisation (reached by ``path``) the user may read."""
    ids = visible_organisation_ids(user)
    return Q() if ids is None else Q(**{f"{path}__in": ids})


def visible_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations the user may read (a queryset, usable as a subquery)."""
    ids = visible_organisation_ids(user)
    return Organisation.objects.all() if ids is None else Organisation.objects.filter(pk__in=ids)


def editable_organisation_ids(user: Any) -> list[int] | None:
    """The pks of the organisations whose OD data the user may change (once per request); None
    for an administrator (every organisation)."""
    if not _active(user):
        return []
    if is_admin(user):
        return None
    return _access(user)[2]


def editable_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations whose OD data (deliverables, actions, risks) the user may change."""
    ids = editable_organisation_ids(user)
    return Organisation.objects.all() if ids is None else Organisation.objects.filter(pk__in=ids)


def memberships(user: Any) -> list[Membership]:
    """The user's memberships with their organisations, read once per request (the header's
    menu, the lists' "Add" buttons and the national view all ask)."""
    if not _active(user):
        return []
    read = Membership.objects.filter(user=user).select_related("organisation")
    return per_request.memo(("memberships", user.pk), lambda: list(read))


def home_organisations(user: Any) -> QuerySet[Organisation]:
    """The organisations where the user is staff or an organisation administrator themselves
    (not those beneath them), by name: where the lists' "Add" buttons point."""
    ids = [m.organisation_id for m in memberships(user) if m.role in Membership.EDITOR_ROLES]
    return Organisation.objects.filter(pk__in=ids).order_by("name")


def can_view(user, organisation) -> bool:
    ids = visible_organisation_ids(user)
    return ids is None or organisation.pk in ids


def can_edit(user, organisation) -> bool:
    ids = editable_organisation_ids(user)
    return ids is None or organisation.pk in ids


def require_edit(user: Any, organisation: Organisation) -> None:
    if not can_edit(user, organisation):
        raise PermissionDenied("Only staff of the owning organisation may change this.")


def has_national_view(user) -> bool:
    """Admins and members of the national body or a region see the national dashboard."""
    if is_admin(user):
        return True
    if not _active(user):
        return False
    national = (Organisation.Kind.NATIONAL, Organisation.Kind.REGION)
    return any(m.organisation.kind in national for m in memberships(user))


def role_label(user, memberships=None) -> str:
    """A short description of the user's role for the page header (from ``memberships``, the
    user's, when they are loaded already)."""
    if not user.is_authenticated:
        return ""
    if is_admin(user):
        return "Administrator"
    roles = {m.get_role_display() for m in (user.memberships.all() if memberships is None else memberships)}
    return ", ".join(sorted(roles)) or "No organisation"


# --- People: organisation administrators (issue 11) -----------------------------------------
# An organisation administrator (Membership.Role.ORG_ADMIN) manages the memberships of their
# organisation and of everything beneath it, and holds every right of staff there (the roles
# are a ladder, Membership.RANK; editable_organisations reads Membership.EDITOR_ROLES). They
# never grant more than they hold: a role is grantable at an organisation only up to the highest
# role the granter holds at it or above it, and administrator rights (superuser, the Django
# admin) are never granted from the product. They never touch another organisation's people:
# every membership they act on is at an organisation they manage, an administrator's
# memberships and account are left to administrators, their own membership is changed by
# someone else, and an account is deactivated only when every membership it has is theirs to
# manage.


def manageable_organisations(user):
    """Organisations whose memberships the user may manage (a lazy queryset)."""
    if not (user and user.is_authenticated and user.is_active):
        return Organisation.objects.none()
    if is_admin(user):
        return Organisation.objects.all()
    return Organisation.objects.beneath(_membership_ids(user, Membership.MANAGER_ROLES))


def can_manage_people(user, organisation) -> bool:
    return manageable_organisations(user).filter(pk=organisation.pk).exists()


def require_manage_people(user, organisation):
    if not can_manage_people(user, organisation):
        raise PermissionDenied(
            "Only an organisation administrator of this organisation may manage its people."
        )


def manages_any_organisation(user) -> bool:
    """Whether the user manages the people of at least one organisation (for a link to the page)."""
    return manageable_organisations(user).exists()


def _chain_ids(organisation):
    """The pks of ``organisation`` and every organisation above it (one query)."""
    chain = "__".join(["parent"] * (MAX_DEPTH - 1))
    node = Organisation.objects.select_related(chain).get(pk=organisation.pk)
    return [node.pk] + [o.pk for o in node.ancestors()]


def grantable_roles(user, organisation) -> list[str]:
    """The roles ``user`` may give at ``organisation``, lowest first: none where they may not
    manage people; for an administrator every role; otherwise each role up to the highest the
    user holds at ``organisation`` or above it."""
    if not can_manage_people(user, organisation):
        return []
    ladder = sorted(Membership.Role.values, key=lambda role: Membership.RANK[role])
    if is_admin(user):
        return ladder
    held = Membership.objects.filter(user=user, organisation__in=_chain_ids(organisation))
    top = max((Membership.RANK[role] for role in held.values_list("role", flat=True)), default=0)
    return [role for role in ladder if Membership.RANK[role] <= top]


def may_manage_account(acting_user, user) -> bool:
    """Whether ``acting_user`` may act on ``user``'s memberships at all: never on their own, and
    only administrators on an administrator's."""
    if acting_user.pk == user.pk:
        return False
    return is_admin(acting_user) or not is_admin_account(user)


def is_admin_account(user) -> bool:
    """A superuser or Django-admin account, active or not."""
    return bool(user.is_superuser or user.is_staff)


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

    def authorisation_key(self, obj) -> Any:
        # The rule depends on the record's organisation only: a batch asks once per organisation.
        return ("organisation", self.organisation_of(obj).pk)

    def is_administrator(self, user) -> bool:
        return is_admin(user)
