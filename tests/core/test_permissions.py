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
