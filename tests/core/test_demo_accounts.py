import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps.organisations import permissions
from apps.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_demo_accounts_refuse_to_be_created_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("create_demo_accounts")
    assert not get_user_model().objects.filter(username="staff.dorset").exists()


def test_demo_accounts_have_their_roles(settings, monkeypatch, capsys):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "a-demo-password-1")
    call_command("create_demo_accounts")
    call_command("create_demo_accounts")  # twice is harmless
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["admin", "staff.dorset", "staff.darlington", "board.dorset"]
        )
    }
    assert len(users) == 4
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
    assert permissions.is_admin(users["admin"])
    assert permissions.can_edit(users["staff.dorset"], dorset)
    assert not permissions.can_edit(users["staff.dorset"], darlington)
    assert permissions.can_edit(users["staff.darlington"], darlington)
    assert permissions.can_view(users["board.dorset"], dorset)
    assert not permissions.can_edit(users["board.dorset"], dorset)
    assert users["board.dorset"].check_password("a-demo-password-1")
    assert "a-demo-password-1" in capsys.readouterr().out


def test_demo_accounts_are_made_once_and_never_brought_back(settings):
    """A restart (`make run` runs create_demo_accounts on every start) never re-creates an
    account someone deleted or deactivated, nor a membership someone removed (issue 25.4)."""
    settings.DEBUG = True
    call_command("create_demo_accounts", verbosity=0)
    User = get_user_model()
    User.objects.filter(username="board.dorset").delete()  # no history yet: deletable
    darlington = User.objects.get(username="staff.darlington")
    darlington.memberships.all().delete()
    admin = User.objects.get(username="admin")
    admin.is_active = False
    admin.save()
    call_command("create_demo_accounts", verbosity=0)
    assert not User.objects.filter(username="board.dorset").exists()
    assert not darlington.memberships.exists()
    admin.refresh_from_db()
    assert not admin.is_active


def test_outside_make_run_demo_accounts_never_get_the_known_password(settings, capsys):
    settings.DEBUG = False
    call_command("create_demo_accounts", "--force")
    user = get_user_model().objects.get(username="staff.dorset")
    from apps.organisations.management.commands.create_demo_accounts import DEFAULT_PASSWORD

    assert not user.check_password(DEFAULT_PASSWORD)
    out = capsys.readouterr().out
    secret = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("staff.dorset"))
    assert user.check_password(secret)
