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
