import pytest

from apps.organisations import permissions
from apps.organisations.models import Membership, Organisation
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_edit_their_organisation_and_everything_beneath(staff_dorset, dorset):
    locality = Organisation.objects.get(slug="poole-bay")
    assert locality.parent.parent == dorset
    assert permissions.can_edit(staff_dorset, dorset)
    assert permissions.can_edit(staff_dorset, locality)
    assert permissions.can_view(staff_dorset, locality)


def test_staff_cannot_edit_or_see_another_organisation(staff_dorset, darlington):
    assert not permissions.can_edit(staff_dorset, darlington)
    assert not permissions.can_view(staff_dorset, darlington)


def test_staff_cannot_edit_above_their_organisation(staff_dorset, dorset):
    assert not permissions.can_edit(staff_dorset, dorset.parent)


def test_governing_body_member_reads_but_never_edits(board_dorset, dorset):
    locality = Organisation.objects.get(slug="poole-bay")
    assert permissions.can_view(board_dorset, dorset)
    assert permissions.can_view(board_dorset, locality)
    assert not permissions.can_edit(board_dorset, dorset)
    assert not permissions.can_edit(board_dorset, locality)


def test_admin_sees_and_edits_everything(admin_user, dorset, darlington):
    assert permissions.is_admin(admin_user)
    assert permissions.can_edit(admin_user, darlington)
    assert permissions.editable_organisations(admin_user).count() == Organisation.objects.count()


def test_user_without_membership_sees_nothing(no_role_user, dorset):
    assert not permissions.can_view(no_role_user, dorset)
    assert permissions.visible_organisations(no_role_user).count() == 0


def test_anonymous_sees_nothing(dorset):
    from django.contrib.auth.models import AnonymousUser

    assert not permissions.can_view(AnonymousUser(), dorset)
    assert not permissions.can_edit(AnonymousUser(), dorset)


def test_region_membership_reaches_every_ccg_and_locality_beneath():
    region = Organisation.objects.get(slug="south-of-england")
    user = UserFactory(username="regional")
    MembershipFactory(user=user, organisation=region, role=Membership.Role.GOVERNING_BODY)
    visible = set(permissions.visible_organisations(user).values_list("slug", flat=True))
    assert {"south-of-england", "wessex", "nhs-dorset-ccg", "poole-bay"} <= visible
    assert "nhs-darlington-ccg" not in visible


def test_several_memberships_combine(staff_dorset, darlington):
    MembershipFactory(user=staff_dorset, organisation=darlington, role=Membership.Role.GOVERNING_BODY)
    assert permissions.can_view(staff_dorset, darlington)
    assert not permissions.can_edit(staff_dorset, darlington)


def test_inactive_user_has_no_access(staff_dorset, dorset):
    staff_dorset.is_active = False
    staff_dorset.save()
    assert not permissions.can_view(staff_dorset, dorset)


def test_admin_site_uses_the_helper(client, staff_dorset, admin_user):
    staff_dorset.is_staff = True  # even Django's is_staff flag does not open the admin
    staff_dorset.save()
    client.force_login(staff_dorset)
    assert client.get("/admin/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


# --- Members of a CCG's clusters and localities read the CCG -------------------------------


@pytest.fixture
def poole_bay(db):
    return Organisation.objects.get(slug="poole-bay")


@pytest.mark.parametrize("role", [Membership.Role.STAFF, Membership.Role.GOVERNING_BODY])
@pytest.mark.parametrize("unit", ["locality", "cluster"])
def test_a_member_of_a_ccg_unit_reads_the_ccg_and_changes_only_their_own_unit(
    dorset, darlington, poole_bay, role, unit
):
    organisation = poole_bay if unit == "locality" else poole_bay.parent
    assert organisation.kind == ("locality" if unit == "locality" else "ccg_cluster")
    user = UserFactory(username=f"t.{unit}.{role}")
    MembershipFactory(user=user, organisation=organisation, role=role)
    assert permissions.can_view(user, dorset)
    assert not permissions.can_edit(user, dorset)
    assert not permissions.can_view(user, darlington)
    assert not permissions.can_view(user, dorset.parent)  # the LAT above stays out of reach
    assert permissions.can_edit(user, organisation) == (role == Membership.Role.STAFF)
    visible = set(permissions.visible_organisations(user).values_list("pk", flat=True))
    assert visible == set(Organisation.objects.beneath([dorset.pk]).values_list("pk", flat=True))
    editable = set(permissions.editable_organisations(user).values_list("pk", flat=True))
    expected = Organisation.objects.beneath([organisation.pk]) if role == Membership.Role.STAFF else []
    assert editable == {o.pk for o in expected}


def test_a_locality_member_who_is_also_ccg_staff_edits_the_ccg(dorset, poole_bay):
    user = UserFactory(username="t.both")
    MembershipFactory(user=user, organisation=poole_bay, role=Membership.Role.GOVERNING_BODY)
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.STAFF)
    assert permissions.can_edit(user, dorset) and permissions.can_edit(user, poole_bay)


def test_members_of_organisations_not_beneath_a_ccg_reach_only_their_own_subtree(dorset):
    lat = dorset.parent
    user = UserFactory(username="t.lat")
    MembershipFactory(user=user, organisation=lat, role=Membership.Role.GOVERNING_BODY)
    visible = set(permissions.visible_organisations(user).values_list("pk", flat=True))
    assert visible == set(Organisation.objects.beneath([lat.pk]).values_list("pk", flat=True))
    assert lat.parent_id not in visible


def test_what_a_member_reads_is_asked_once_per_request(poole_bay, dorset, django_assert_num_queries):
    """The unit rule (a locality's member reads its CCG's tree) and what they may change are one
    query (a walk up and down the tree in PostgreSQL), read once per request however often the
    page asks, and the answer is a list of organisations, so the big tables are filtered by
    organisation rather than by a subquery over the whole country."""
    from apps.core import per_request

    user = UserFactory(username="t.lazy")
    MembershipFactory(user=user, organisation=poole_bay, role=Membership.Role.STAFF)
    per_request.request_started()
    try:
        with django_assert_num_queries(1):
            ids = permissions.visible_organisation_ids(user)
            for _ in range(5):
                assert permissions.can_view(user, dorset)
                assert permissions.can_edit(user, poole_bay) and not permissions.can_edit(user, dorset)
                assert permissions.visible_organisation_ids(user) == ids
                assert permissions.reading_roots(user) == [dorset.pk]
        assert set(ids) == set(Organisation.objects.beneath([dorset.pk]).values_list("pk", flat=True))
        sql = str(permissions.visible_q(user, "organisation").children)
        assert "organisations_membership" not in sql
    finally:
        per_request.request_finished()


def test_the_one_access_query_agrees_with_the_rule_on_every_kind_of_membership():
    """The recursive query behind every page's permissions against the rule written with the
    ORM, for a member of each seeded organisation (every level, with and without a CCG above) in
    each role, one membership at a time and several at once."""
    from apps.core import per_request

    def expected(memberships):
        roots = set()
        for organisation, _ in memberships:
            node, root = organisation.parent, organisation
            while node is not None:
                if node.kind == Organisation.Kind.CCG:
                    root = node
                    break
                node = node.parent
            roots.add(root.pk)
        editors = [o.pk for o, role in memberships if role in Membership.EDITOR_ROLES]
        return (
            set(Organisation.objects.beneath(sorted(roots)).values_list("pk", flat=True)),
            roots,
            set(Organisation.objects.beneath(editors).values_list("pk", flat=True)) if editors else set(),
        )

    organisations = list(Organisation.objects.select_related("parent__parent__parent__parent__parent"))
    kinds = {o.kind for o in organisations}
    assert {Organisation.Kind.CCG, Organisation.Kind.LAT, Organisation.Kind.LOCALITY} <= kinds
    roles = list(Membership.Role)
    cases = [[(o, roles[i % len(roles)])] for i, o in enumerate(organisations)]
    both = [(organisations[0], Membership.Role.STAFF), (organisations[-1], Membership.Role.GOVERNING_BODY)]
    cases.append(both)
    for n, memberships in enumerate(cases):
        user = UserFactory(username=f"walk.{n}")
        for organisation, role in memberships:
            MembershipFactory(user=user, organisation=organisation, role=role)
        per_request.request_started()
        try:
            reading, roots, editing = expected(memberships)
            assert set(permissions.visible_organisation_ids(user)) == reading, memberships
            assert set(permissions.reading_roots(user)) == roots, memberships
            assert set(permissions.editable_organisation_ids(user)) == editing, memberships
        finally:
            per_request.request_finished()
