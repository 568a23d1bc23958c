"""The framework in the Django admin takes the edit path: a change and an add leave the audit
event a staff member's would, with the note and "admin" as the way it was made."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.assurance.models import Control, PrincipalRisk
from tests.core.test_edit_path import NOTE, _admin_form_data, _admin_url, _last_event

pytestmark = pytest.mark.django_db


def test_an_admin_change_of_a_control_goes_through_the_edit_path(client, admin_user):
    control = Control.objects.order_by("pk").first()  # the seed's first control (Darlington R1)
    client.force_login(admin_user)
    data = _admin_form_data(client, control, effectiveness="partly", owner="Chief Officer", edit_note=NOTE)
    response = client.post(_admin_url(control), data)
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    label, diff, user, note = _last_event(control)
    assert label == "update" and note == NOTE and user == admin_user.pk
    assert diff["effectiveness"] == ["", "partly"] and diff["owner"] == ["", "Chief Officer"]
    control.refresh_from_db()
    assert control.version == 2


def test_an_admin_change_of_a_principal_risks_objectives_is_written_in_the_note(client, admin_user):
    principal = PrincipalRisk.objects.order_by("pk").first()
    other = principal.risk.organisation.strategic_objectives.exclude(principal_risks=principal).first()
    client.force_login(admin_user)
    data = _admin_form_data(client, principal, edit_note=NOTE)
    data["objectives"] = [str(other.pk)]
    response = client.post(_admin_url(principal), data)
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    assert list(principal.objectives.all()) == [other]
    note = _last_event(principal)[3]
    assert note.startswith(NOTE + " Strategic objectives: ") and note.endswith(f"→ {other}.")


def test_deleting_is_not_offered(client, admin_user):
    client.force_login(admin_user)
    control = Control.objects.order_by("pk").first()
    response = client.get(reverse("admin:assurance_control_delete", args=[control.pk]))
    assert response.status_code == HTTPStatus.FORBIDDEN
