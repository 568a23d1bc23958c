"""The in-place status control's answers: after an error it keeps what the user chose and typed
in a real textarea, with the error tied to the note; after a save it says so and asks for focus
on the row. (The browser side: tests/browser/test_deliverables.py.)"""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.plans.models import Deliverable

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliverable(dorset):
    return (
        Deliverable.objects.filter(theme__plan__organisation=dorset, status="in_progress")
        .order_by("pk")
        .first()
    )


def _post(client, deliverable, **data):
    return client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"version": deliverable.version, **data},
        HTTP_HX_REQUEST="true",
    )


def _ids_described_by_exist(html):
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        missing = set(described.split()) - ids
        assert not missing, f"aria-describedby names missing ids {missing}"


def test_an_error_keeps_the_choice_and_the_note_and_ties_the_error_to_the_note(
    client, staff_dorset, deliverable
):
    client.force_login(staff_dorset)
    response = _post(client, deliverable, status="delivered", note="")
    html = response.content.decode()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert '<option value="delivered" selected>' in html  # the user's choice, not the stored status
    assert "<details open>" in html
    assert f'<textarea name="note" id="note-{deliverable.pk}"' in html
    assert f'aria-describedby="status-error-{deliverable.pk} note-hint-{deliverable.pk}"' in html
    # Focus goes to the error summary (19.2), whose link leads to the note.
    assert f'data-focus="status-errors-{deliverable.pk}"' in html
    assert f'id="status-errors-{deliverable.pk}" data-error-summary' in html
    assert f'<a href="#note-{deliverable.pk}">' in html
    assert 'aria-invalid="true"' in html
    _ids_described_by_exist(html)


def test_a_conflict_keeps_what_the_user_typed_and_says_what_the_status_is_now(
    client, staff_dorset, deliverable
):
    client.force_login(staff_dorset)
    response = _post(
        client, deliverable, status="delivered", note="Closed <today>", version=deliverable.version + 5
    )
    html = response.content.decode()
    assert response.status_code == HTTPStatus.CONFLICT
    assert "it is now In progress" in html
    assert ">Closed &lt;today&gt;</textarea>" in html  # kept, and escaped
    assert '<option value="delivered" selected>' in html
    _ids_described_by_exist(html)


def test_a_save_says_so_and_sends_focus_to_the_row(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    response = _post(client, deliverable, status="delivered", note="Done.")
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Saved: Delivered" in html
    assert f'data-focus="deliverable-{deliverable.pk}"' in html
    assert "<details open>" not in html and "></textarea>" in html  # closed, note emptied
    _ids_described_by_exist(html)


def test_the_list_has_no_empty_links_and_every_description_exists(client, staff_dorset):
    client.force_login(staff_dorset)
    html = client.get(reverse("plans:deliverable_list")).content.decode()
    assert not re.search(r"<a [^>]*>\s*<a ", html)  # no link wrapped around another
    assert not re.search(r"<a [^>]*>\s*</a>", html)  # no link without text
    _ids_described_by_exist(html)
