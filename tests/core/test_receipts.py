"""A POST whose answer never reached the browser still tells the user, on their next page, what
was saved (issue 25, item 9): the receipt is kept in the session, not in a cookie of the lost
response."""

from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.html import escape

from apps.core.edit_views import name_in
from apps.plans.models import Deliverable

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliverable(dorset):
    return Deliverable.objects.filter(theme__plan__organisation=dorset, status="in_progress").order_by("pk")[
        0
    ]


def _post_and_lose_the_answer(client, deliverable, **headers):
    """The browser sends the change and gives up: the server's answer, cookies included, is
    thrown away (a fresh client with only the session cookie the browser had before)."""
    response = client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"status": "delivered", "note": "Closed at the review.", "version": deliverable.version},
        **headers,
    )
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    return response


@pytest.mark.parametrize("htmx", [True, False], ids=["in-place", "plain form"])
def test_the_next_page_says_what_was_saved_when_the_answer_was_lost(client, staff_dorset, deliverable, htmx):
    client.force_login(staff_dorset)
    session_cookie = client.cookies["sessionid"].value
    _post_and_lose_the_answer(client, deliverable, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
    client.cookies.clear()
    client.cookies["sessionid"] = session_cookie  # only what the browser held before the POST

    page = client.get(reverse("plans:my_work")).content.decode()
    assert f"status of &#x27;{deliverable}&#x27; set to Delivered." in page or (
        f"status of '{deliverable}' set to Delivered." in page
    )
    assert "Saved at " in page
    # Told once: the page after does not repeat it.
    assert "Saved at " not in client.get(reverse("plans:my_work")).content.decode()


def test_a_refused_change_leaves_no_receipt(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    response = client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"status": "delivered", "note": "", "version": deliverable.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Saved at " not in client.get(reverse("plans:my_work")).content.decode()


def test_the_edit_form_names_the_record_in_its_receipt(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    response = client.post(
        deliverable.get_absolute_url(),
        {
            "status": deliverable.status,
            "note": "A note.",
            "delivered_narrative": deliverable.delivered_narrative,
            "in_progress_narrative": "Moved on.",
            "owner": "",
            "deadline": deliverable.deadline.isoformat() if deliverable.deadline else "",
            "version": deliverable.version,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(response["Location"]).content.decode()
    assert "Saved at " in page and "Deliverable updated" in page


def test_an_archive_receipt_names_the_record_after_its_first_sentence(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    response = client.post(
        reverse("plans:deliverable_archive", args=[deliverable.pk]),
        {"note": "A duplicate.", "version": deliverable.version},
    )
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(response["Location"]).content.decode()
    expected = f"Deliverable archived ({deliverable}). It can be restored from the archived deliverables."
    assert escape(expected) in page


def test_name_in_puts_the_name_after_the_first_sentence():
    assert name_in("Review recorded.", "R2 A risk") == "Review recorded (R2 A risk)."
    assert name_in("Risk archived. It can be restored.", "R2") == "Risk archived (R2). It can be restored."
